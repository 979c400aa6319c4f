"""Mentions of watched entities in one article: ``Matcher(watchlist).find_mentions(...)``.

One ``PhraseIndex`` holds every alias, every ``require`` phrase and every ``exclude``
phrase, so an article field is scanned once. Then, per alias hit:

1. the alias must apply to the article's language (``aliases_<lang>``; unknown: all);
2. no ``exclude.before`` phrase may end right before it, no ``exclude.after`` phrase
   start right after it (only spaces or hyphens in between);
3. a ``require`` phrase must occur in the article (title or text), or within
   ``within`` characters in the same field;
4. overlapping hits of one entity keep the longest ("Tesla Roadster" over "Roadster",
   "Sam Altman" over "Altman"). Different entities may overlap: "OpenAI-CEO" can be
   both a mention of OpenAI and, if configured, of Sam Altman.

``field_value[m.start:m.end] == m.text`` holds for every mention.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

from services.tagger.watchlist import Alias, Watchlist
from shared.phrases import POSSESSIVE, Phrase, PhraseIndex
from shared.records import Article, Mention, TaggedArticle

__all__ = ["SNIPPET_MAX", "Matcher", "snippet"]

SNIPPET_MAX = 300
# A sentence ends at ".", "!", "?" or "…" (closing quotes or brackets may follow) before
# whitespace, or at a line break; the match spans the whitespace after it. Written to
# start with a character class, which lets the regex engine skip ahead fast; the same
# matches as ``[.!?…]["'“”„»«’)\]]*\s+|\n\s*``.
_SENTENCE_END = re.compile(r"[.!?…\n](?:(?<=\n)|[\"'“”„»«’)\]]*\s)\s*")
_GAP = frozenset(" \t\r\n-\u00a0\u2010\u2011\u2013\u2014")

Field = Literal["title", "text"]


@dataclass(frozen=True, slots=True)
class _Target:
    entity: str
    alias: Alias
    require: tuple[str, ...]  # context keys
    before: frozenset[str]  # exclusion keys
    after: frozenset[str]
    plain: bool  # no context rule: every hit is a candidate
    langs: frozenset[str]  # the alias's languages (empty: all)
    within: int | None  # require's distance (None: anywhere in the article)


# A candidate mention: (start, -end, alias key, target); sorted, the hits' own order.
_Candidate = tuple[int, int, str, _Target]
_by_hit = itemgetter(0, 1, 2)


def _make_mention() -> Callable[[str, str, str, Field, int, int, str], Mention]:
    """A ``Mention`` constructor without validation, taking the fields in their order:
    every value comes from this module with the declared type (str, the field literal,
    int offsets), so this is what ``Mention.model_construct`` builds, minus its generic
    per-field loop. Checked once against the validating constructor; falls back to
    ``model_construct``."""
    new = object.__new__
    setattr_ = object.__setattr__
    names = ("entity", "alias", "text", "field", "start", "end", "snippet")
    fields = set(names)  # copied for each: pydantic's own is a set per model

    def fast(  # noqa: PLR0917 - positional: one call per mention
        entity: str, alias: str, text: str, field: Field, start: int, end: int, snippet: str
    ) -> Mention:
        mention = new(Mention)
        setattr_(
            mention,
            "__dict__",
            {
                "entity": entity,
                "alias": alias,
                "text": text,
                "field": field,
                "start": start,
                "end": end,
                "snippet": snippet,
            },
        )
        setattr_(mention, "__pydantic_fields_set__", fields.copy())
        setattr_(mention, "__pydantic_extra__", None)
        setattr_(mention, "__pydantic_private__", None)
        return mention

    def construct(*values: Any) -> Mention:
        return Mention.model_construct(**dict(zip(names, values, strict=True)))

    sample: dict[str, Any] = {
        "entity": "elon_musk",
        "alias": "Musk",
        "text": "Musks",
        "field": "text",
        "start": 3,
        "end": 8,
        "snippet": "… Musks …",
    }
    reference = Mention(**sample)
    try:
        made = fast(*sample.values())
        same = (
            tuple(Mention.model_fields) == names
            and made == reference
            and made.model_dump_json() == reference.model_dump_json()
            and made.__pydantic_fields_set__ == reference.__pydantic_fields_set__
            and vars(made) == vars(reference)
        )
    except Exception:  # any surprise: use pydantic's own way
        same = False
    return fast if same else construct


_mention = _make_mention()


class Matcher:
    """Compiled watchlist; ``find_mentions`` is pure and thread-safe."""

    def __init__(self, watchlist: Watchlist) -> None:
        self._watchlist = watchlist
        self._targets: dict[str, _Target] = {}
        phrases: list[Phrase] = []
        extra: dict[str, str] = {}  # context/exclusion phrase -> key

        def key_for(text: str) -> str:
            if text not in extra:
                extra[text] = f"p{len(extra)}"
                # "Mazdas", "Teslas" too; not for words ending in "s", which would make
                # every German "ß" a reason for the slow fold (see shared.phrases).
                suffixes = () if text.endswith("s") else POSSESSIVE
                phrases.append(Phrase(extra[text], text, suffixes=suffixes))
            return extra[text]

        for entity in watchlist.entities:
            for alias in entity.aliases:
                key = f"a{len(self._targets)}"
                suffixes = POSSESSIVE if alias.inflect else ()
                phrases.append(Phrase(key, alias.text, alias.case_sensitive, suffixes))
                self._targets[key] = _Target(
                    entity.id,
                    alias,
                    tuple(map(key_for, alias.require)),
                    frozenset(map(key_for, alias.exclude_before)),
                    frozenset(map(key_for, alias.exclude_after)),
                    not (alias.require or alias.exclude_before or alias.exclude_after),
                    alias.langs,
                    alias.within,
                )
        self._index = PhraseIndex(phrases)
        self._aliases = frozenset(self._targets)
        targets = self._targets.values()
        self._rules = _Rules(
            frozenset().union(*(t.before for t in targets)),
            frozenset().union(*(t.after for t in targets)),
            frozenset().union(*(t.require for t in targets if t.within is not None)),
        )

    @property
    def version(self) -> str:
        return self._watchlist.version

    @property
    def watchlist(self) -> Watchlist:
        return self._watchlist

    @property
    def phrase_count(self) -> int:
        """Phrases in the one automaton: aliases, require and exclude phrases."""
        return len(self._index)

    def tag(self, article: Article) -> TaggedArticle:
        """The tagger's step: ``article`` with every mention found in it (what the worker
        sends on, and what the backtest runs in-process)."""
        mentions = self.find_mentions(article.title, article.text, article.lang)
        return TaggedArticle(article=article, mentions=mentions, watchlist_version=self.version)

    def find_mentions(self, title: str, text: str, lang: str | None = None) -> tuple[Mention, ...]:
        hits_in = self._index.hits
        aliases = self._aliases  # a field without an alias hit needs no more work ...
        title_hits = hits_in(title, aliases) if title else []
        text_hits = hits_in(text) if title_hits else hits_in(text, aliases)
        if not text_hits:
            if not title_hits:
                return ()
        elif title and not title_hits:
            title_hits = hits_in(title)  # ... unless the other has one: context phrases
        language = lang.split("-")[0].strip().lower() if lang else None
        targets = self._targets
        article: _Article | None = None
        mentions: list[Mention] = []
        field: Field
        for field, value, hits in (("title", title, title_hits), ("text", text, text_hits)):
            candidates: list[_Candidate] = []
            checked = True  # every candidate is plain
            for start, end, key in hits:
                target = targets.get(key)
                if target is None:
                    continue  # a context phrase
                if target.langs and language is not None and language not in target.langs:
                    continue
                candidates.append((start, -end, key, target))
                checked = checked and target.plain
            if not candidates:
                continue
            if checked:
                context = None
            else:
                if article is None:
                    article = _Article(title_hits, text_hits)
                context = _Context(value, hits, article, self._rules)
            sentences = _Sentences(value)
            around = sentences.around
            for start, end, entity, target in _longest_per_entity(candidates, context):
                mentions.append(
                    _mention(
                        entity,
                        target.alias.text,
                        value[start:end],
                        field,
                        start,
                        end,
                        around(start, end),
                    )
                )
        return tuple(mentions)


class _Article:
    """Every phrase found in the article (title and text), for ``require`` anywhere."""

    __slots__ = ("_keys", "hits")

    def __init__(self, *hits: list[tuple[int, int, str]]) -> None:
        self.hits = hits
        self._keys: set[str] | None = None

    @property
    def keys(self) -> set[str]:
        if self._keys is None:
            self._keys = {h[2] for hits in self.hits for h in hits}
        return self._keys


class _Context:
    """The context phrases found in one field, indexed (each index on first use) for the
    rules."""

    __slots__ = ("_by_key", "_ends", "_starts", "article", "hits", "rules", "value")

    def __init__(
        self, value: str, hits: list[tuple[int, int, str]], article: _Article, rules: _Rules
    ) -> None:
        self.value = value
        self.article = article
        self.hits = hits
        self.rules = rules
        self._by_key: dict[str, list[tuple[int, int]]] | None = None
        self._ends: dict[int, set[str]] | None = None
        self._starts: dict[int, set[str]] | None = None

    def _before(self) -> dict[int, set[str]]:
        """Per position, the ``exclude.before`` phrases that end there or before it with
        only spaces or hyphens in between."""
        ends: dict[int, set[str]] = {}
        value, keys = self.value, self.rules.before
        for _, end, key in self.hits:
            if key in keys:
                at = end
                ends.setdefault(at, set()).add(key)
                while at < len(value) and value[at] in _GAP:
                    at += 1
                    ends.setdefault(at, set()).add(key)
        return ends

    def _after(self) -> dict[int, set[str]]:
        """Per position, the ``exclude.after`` phrases that start there or after it with
        only spaces or hyphens in between."""
        starts: dict[int, set[str]] = {}
        value, keys = self.value, self.rules.after
        for start, _, key in self.hits:
            if key in keys:
                at = start
                starts.setdefault(at, set()).add(key)
                while at > 0 and value[at - 1] in _GAP:
                    at -= 1
                    starts.setdefault(at, set()).add(key)
        return starts

    def allows(self, target: _Target, start: int, end: int) -> bool:
        if target.before:
            ends = self._ends
            if ends is None:
                ends = self._ends = self._before()
            if start in ends and not target.before.isdisjoint(ends[start]):
                return False
        if target.after:
            starts = self._starts
            if starts is None:
                starts = self._starts = self._after()
            if end in starts and not target.after.isdisjoint(starts[end]):
                return False
        if not target.require:
            return True
        near = target.within
        if near is None:
            return not self.article.keys.isdisjoint(target.require)
        by_key = self._by_key
        if by_key is None:
            by_key = self._by_key = {}
            keys = self.rules.near
            for s, e, k in self.hits:
                if k in keys:
                    by_key.setdefault(k, []).append((s, e))
        return any(
            s - end <= near and start - e <= near
            for key in target.require
            for s, e in by_key.get(key, ())
        )


@dataclass(frozen=True, slots=True)
class _Rules:
    """The context phrases that some alias's rules look for: the others need no index."""

    before: frozenset[str]
    after: frozenset[str]
    near: frozenset[str]  # ``require`` with ``within``


def _longest_per_entity(
    candidates: list[_Candidate], context: _Context | None
) -> list[tuple[int, int, str, _Target]]:
    """Per entity, among overlapping candidates that the context rules allow, keep the
    longest (then the earliest): ``(start, end, entity, target)`` ordered by start, end
    and entity. ``context`` is ``None`` when every candidate is plain.

    A candidate is checked against the context rules only when it would be kept: the
    same choice as checking them all first (one that the rules drop is never kept, and
    never stands in another's way), without the checks for "Musk" inside "Elon Musk"."""
    if len(candidates) == 1:
        start, end, _, target = candidates[0]
        if context is None or target.plain or context.allows(target, start, -end):
            return [(start, -end, target.entity, target)]
        return []
    candidates.sort(key=_by_hit)
    by_entity: dict[str, list[_Candidate]] = {}
    for c in candidates:
        entity = c[3].entity
        if entity in by_entity:
            by_entity[entity].append(c)
        else:
            by_entity[entity] = [c]
    found: list[tuple[int, int, str, _Target]] = []
    for entity, group in by_entity.items():
        n = len(group)
        i = 0
        while i < n:
            first = group[i]
            reach = -first[1]
            j = i + 1
            while j < n and group[j][0] < reach:  # the overlap chain from ``first``
                reach = max(reach, -group[j][1])
                j += 1
            target = first[3]
            if (j == i + 1 or reach == -first[1]) and (
                # alone, or it spans the whole chain: the longest, and all others overlap it
                context is None or target.plain or context.allows(target, first[0], reach)
            ):
                found.append((first[0], reach, entity, target))
            elif j > i + 1:
                found += [(c[0], -c[1], entity, c[3]) for c in _longest_first(group[i:j], context)]
            i = j
    if len(found) > 1 and len(by_entity) > 1:
        found.sort(key=_by_hit)  # (start, end, entity): never two of one entity and span
    return found


def _longest_first(cluster: list[_Candidate], context: _Context | None) -> list[_Candidate]:
    """Non-overlapping picks from one overlap chain (short: quadratic is fine), in
    order."""
    chosen: list[_Candidate] = []
    for k in sorted(cluster, key=lambda c: (c[0] + c[1], c[0])):  # longest, then earliest
        if all(-k[1] <= o[0] or -o[1] <= k[0] for o in chosen) and (
            context is None or k[3].plain or context.allows(k[3], k[0], -k[1])
        ):
            chosen.append(k)
    chosen.sort(key=_by_hit)  # by start: they do not overlap
    return chosen


def snippet(value: str, start: int, end: int, limit: int = SNIPPET_MAX) -> str:
    """The sentence around ``value[start:end]`` with whitespace collapsed; a sentence
    longer than ``limit`` is cut around the mention, "…" marking each cut."""
    return _Sentences(value).around(start, end, limit)


class _Sentences:
    """Sentence boundaries of one field, found once for all its mentions, and only as
    far into the text as its mentions need."""

    __slots__ = ("_ends", "begins", "marks", "seen", "value")

    def __init__(self, value: str) -> None:
        self.value = value
        self._ends: Iterator[re.Match[str]] | None = _SENTENCE_END.finditer(value)
        self.marks: list[int] = []  # where each sentence end starts; last: len(value)
        self.begins: list[int] = []  # where the sentence after it begins
        self.seen: dict[tuple[int, int], str] = {}  # whole sentences, by bounds

    def _scan(self, end: int) -> None:
        """Find the sentence ends up to the first that starts at or after ``end``."""
        assert self._ends is not None
        marks, begins = self.marks, self.begins
        for match in self._ends:
            mark, begin = match.span()
            marks.append(mark)
            begins.append(begin)
            if mark >= end:
                return
        marks.append(len(self.value))  # sentinel: the text ends the last sentence
        self._ends = None

    def around(self, start: int, end: int, limit: int = SNIPPET_MAX) -> str:
        marks, begins, value = self.marks, self.begins, self.value
        if self._ends is not None and (not marks or marks[-1] < end):
            self._scan(end)
        i = bisect_right(begins, start) - 1
        left = begins[i] if i >= 0 else 0
        right = marks[bisect_left(marks, end)]
        if right < len(value) and value[right] != "\n":
            right += 1  # the sentence keeps its punctuation, not its line break
        if right - left <= limit:
            bounds = (left, right)
            found = self.seen.get(bounds)
            if found is None:
                found = self.seen[bounds] = _collapsed(value[left:right])
            return found
        room = max(0, limit - 2 - (end - start))
        lo = max(left, start - room // 2)
        hi = min(right, end + room - (start - lo))
        lo = max(left, hi - (limit - 2))
        text = _collapsed(self.value[lo:hi])
        return f"{'…' if lo > left else ''}{text}{'…' if hi < right else ''}"[:limit]


def _collapsed(text: str) -> str:
    """``text`` with whitespace collapsed: ``" ".join(text.split())``, without the
    copies when it is collapsed already (the only printable whitespace is " ")."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())
