"""Why not: the alias hits the tagger found in an article and dropped, with the rule that
dropped each — what a user needs to tune a watchlist.

Every alias is also looked for *loosely* (any case, any language, no ``require`` or
``exclude``); a loose hit that is not one of the article's mentions was dropped, and the
rules are put back one at a time (each alias alone, in a ``Matcher`` of its own) to find
which one dropped it:

- ``language``: the alias is for other languages (``aliases_<lang>``);
- ``look-alike``: the case differs from a case-sensitive alias ("musk" the scent), or a
  word only starts like the alias ("Altmann", "Muskeln": whole words only);
- ``exclusion``: an ``exclude.before``/``after`` phrase is next to it ("Robert Altman");
- ``missing context``: none of the ``require.any`` phrases is in the article (or within
  ``within`` characters);
- ``overlap``: a longer mention of the same entity covers it ("Altman" in "Sam Altman").

Pure, like ``Matcher``; slower (one small matcher per alias and rule), for the CLI only.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

from services.tagger.matcher import Matcher
from services.tagger.watchlist import Alias, Entity, Watchlist
from shared.records import Mention

__all__ = ["Dropped", "Explainer", "Rule"]

Rule = Literal["language", "look-alike", "exclusion", "missing context", "overlap"]
Field = Literal["title", "text"]
_SUFFIXES = ("'s", "’s", "s'", "s’", "s")


@dataclass(frozen=True, slots=True)
class Dropped:
    """A candidate that is not a mention: ``article.<field>[start:end] == text``."""

    entity: str
    alias: str
    text: str
    field: Field
    start: int
    end: int
    rule: Rule
    detail: str

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _plain(alias: Alias) -> Alias:
    return dataclasses.replace(
        alias,
        case_sensitive=False,
        langs=frozenset(),
        require=(),
        within=None,
        exclude_before=(),
        exclude_after=(),
    )


class Explainer:
    """The matcher's watchlist, and what is needed to say why a hit was dropped."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self._aliases: dict[str, tuple[str, Alias]] = {}
        loose: list[Entity] = []
        for entity in matcher.watchlist.entities:
            for n, alias in enumerate(entity.aliases):
                key = f"{entity.id}__{n}"
                self._aliases[key] = (entity.id, alias)
                loose.append(Entity(key, entity.name, entity.type, (_plain(alias),)))
        self._loose = Matcher(Watchlist("loose", tuple(loose)))
        self._alone: dict[Alias, Matcher] = {}
        self._words = [
            (entity_id, alias, re.compile(rf"(?<!\w){re.escape(alias.text)}(\w+)", re.IGNORECASE))
            for entity_id, alias in self._aliases.values()
            if len(alias.text) >= 3 and alias.text[-1].isalnum()
        ]

    def _finds(self, alias: Alias, title: str, text: str, lang: str | None, at: Mention) -> bool:
        """Whether ``alias`` alone (in a matcher of its own) finds the hit ``at``."""
        matcher = self._alone.get(alias)
        if matcher is None:
            entity = Entity("x", "x", "person", (alias,))
            matcher = self._alone[alias] = Matcher(Watchlist("alone", (entity,)))
        found = matcher.find_mentions(title, text, lang)
        return any((m.field, m.start, m.end) == (at.field, at.start, at.end) for m in found)

    def explain(
        self, title: str, text: str, lang: str | None = None
    ) -> tuple[tuple[Mention, ...], tuple[Dropped, ...]]:
        """The article's mentions, and every candidate dropped, with its rule."""
        mentions = self.matcher.find_mentions(title, text, lang)
        kept = {(m.entity, m.field, m.start, m.end) for m in mentions}
        dropped: dict[tuple[str, str, int, int], Dropped] = {}
        for hit in self._loose.find_mentions(title, text, lang):
            entity_id, alias = self._aliases[hit.entity]
            where = (entity_id, hit.field, hit.start, hit.end)
            if where in kept or where in dropped:
                continue
            rule, detail = self._rule(
                entity_id, alias, hit, mentions=mentions, article=(title, text, lang)
            )
            dropped[where] = Dropped(
                entity_id, alias.text, hit.text, hit.field, hit.start, hit.end, rule, detail
            )
        fields: tuple[tuple[Field, str], ...] = (("title", title), ("text", text))
        for field, value in fields:
            for entity_id, alias, pattern in self._words:
                for m in pattern.finditer(value):
                    if m.group(1).lower() in _SUFFIXES:
                        continue
                    if any(
                        k[0] == entity_id and k[1] == field and k[2] <= m.start() < k[3]
                        for k in kept
                    ):
                        continue
                    detail = f"{m.group()!r} only starts like {alias.text!r} (whole words only)"
                    where = (entity_id, field, m.start(), m.end())
                    dropped.setdefault(
                        where,
                        Dropped(
                            *(entity_id, alias.text, m.group(), field, m.start(), m.end()),
                            rule="look-alike",
                            detail=detail,
                        ),
                    )
        ordered = sorted(dropped.values(), key=lambda d: (d.field != "title", d.start, d.entity))
        return mentions, tuple(ordered)

    def _rule(
        self,
        entity_id: str,
        alias: Alias,
        hit: Mention,
        *,
        mentions: tuple[Mention, ...],
        article: tuple[str, str, str | None],
    ) -> tuple[Rule, str]:
        title, text, lang = article
        language = lang.split("-")[0].strip().lower() if lang else None
        if alias.langs and language is not None and language not in alias.langs:
            return "language", f"{alias.text!r} is only for {', '.join(sorted(alias.langs))}"
        bare = _plain(alias)
        if alias.case_sensitive and not self._finds(
            dataclasses.replace(bare, case_sensitive=True), title, text, lang, hit
        ):
            return "look-alike", f"{hit.text!r} is not written as {alias.text!r} (case-sensitive)"
        cased = dataclasses.replace(bare, case_sensitive=alias.case_sensitive)
        for phrase in alias.exclude_before:
            one = dataclasses.replace(cased, exclude_before=(phrase,))
            if not self._finds(one, title, text, lang, hit):
                return "exclusion", f"{phrase!r} right before it"
        for phrase in alias.exclude_after:
            one = dataclasses.replace(cased, exclude_after=(phrase,))
            if not self._finds(one, title, text, lang, hit):
                return "exclusion", f"{phrase!r} right after it"
        if alias.require:
            needed = dataclasses.replace(cased, require=alias.require, within=alias.within)
            if not self._finds(needed, title, text, lang, hit):
                where = f"within {alias.within} characters" if alias.within else "in the article"
                return "missing context", f"none of {list(alias.require)} {where}"
        over = next(
            (
                m
                for m in mentions
                if m.entity == entity_id
                and m.field == hit.field
                and m.start < hit.end
                and hit.start < m.end
            ),
            None,
        )
        if over is not None:
            return "overlap", f"inside the longer mention {over.text!r}"
        return "overlap", "another alias of the entity was kept here"
