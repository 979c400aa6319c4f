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
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from services.tagger.watchlist import Alias, Watchlist
from shared.phrases import POSSESSIVE, Phrase, PhraseHit, PhraseIndex
from shared.records import Mention

__all__ = ["SNIPPET_MAX", "Matcher", "snippet"]

SNIPPET_MAX = 300
_SENTENCE_END = re.compile(r"[.!?…][\"'“”„»«’)\]]*\s+|\n\s*")
_GAP = frozenset(" \t\r\n-\u00a0\u2010\u2011\u2013\u2014")

Field = Literal["title", "text"]


@dataclass(frozen=True, slots=True)
class _Target:
    entity: str
    alias: Alias
    require: tuple[str, ...]  # context keys
    before: tuple[str, ...]  # exclusion keys
    after: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Candidate:
    target: _Target
    start: int
    end: int


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
                phrases.append(Phrase(extra[text], text, suffixes=POSSESSIVE))
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
                    tuple(map(key_for, alias.exclude_before)),
                    tuple(map(key_for, alias.exclude_after)),
                )
        self._index = PhraseIndex(phrases)

    @property
    def version(self) -> str:
        return self._watchlist.version

    @property
    def watchlist(self) -> Watchlist:
        return self._watchlist

    def find_mentions(self, title: str, text: str, lang: str | None = None) -> tuple[Mention, ...]:
        language = lang.split("-")[0].strip().lower() if lang else None
        fields: tuple[tuple[Field, str], ...] = (("title", title), ("text", text))
        hits = {name: self._index.find(value) for name, value in fields}
        keys = {h.key for found in hits.values() for h in found}
        mentions: list[Mention] = []
        for name, value in fields:
            context: dict[str, list[PhraseHit]] = defaultdict(list)
            for hit in hits[name]:
                if hit.key[0] == "p":
                    context[hit.key].append(hit)
            candidates = [
                _Candidate(target, hit.start, hit.end)
                for hit in hits[name]
                if (target := self._targets.get(hit.key)) is not None
                and _applies(
                    target, hit, value=value, language=language, context=context, keys=keys
                )
            ]
            for c in _longest_per_entity(candidates):
                mentions.append(
                    Mention(
                        entity=c.target.entity,
                        alias=c.target.alias.text,
                        text=value[c.start : c.end],
                        field=name,
                        start=c.start,
                        end=c.end,
                        snippet=snippet(value, c.start, c.end),
                    )
                )
        return tuple(mentions)


def _applies(
    target: _Target,
    hit: PhraseHit,
    *,
    value: str,
    language: str | None,
    context: dict[str, list[PhraseHit]],
    keys: set[str],
) -> bool:
    alias = target.alias
    if alias.langs and language is not None and language not in alias.langs:
        return False
    for key in target.before:
        if any(h.end <= hit.start and _only_gap(value, h.end, hit.start) for h in context[key]):
            return False
    for key in target.after:
        if any(h.start >= hit.end and _only_gap(value, hit.end, h.start) for h in context[key]):
            return False
    if not target.require:
        return True
    if alias.within is None:
        return any(key in keys for key in target.require)
    near = alias.within
    return any(
        h.start - hit.end <= near and hit.start - h.end <= near
        for key in target.require
        for h in context[key]
    )


def _only_gap(value: str, start: int, end: int) -> bool:
    return all(ch in _GAP for ch in value[start:end])


def _longest_per_entity(candidates: list[_Candidate]) -> list[_Candidate]:
    kept: list[_Candidate] = []
    for c in sorted(candidates, key=lambda c: (c.start - c.end, c.start)):
        if not any(
            k.target.entity == c.target.entity and k.start < c.end and c.start < k.end for k in kept
        ):
            kept.append(c)
    return sorted(kept, key=lambda c: (c.start, c.end, c.target.entity))


def snippet(value: str, start: int, end: int, limit: int = SNIPPET_MAX) -> str:
    """The sentence around ``value[start:end]`` with whitespace collapsed; a sentence
    longer than ``limit`` is cut around the mention, "…" marking each cut."""
    window = max(0, start - limit)
    left, cut_left = window, window > 0
    for match in _SENTENCE_END.finditer(value, window, start):
        left, cut_left = match.end(), False
    found = _SENTENCE_END.search(value, end, end + limit)
    if found:
        right, cut_right = found.start() + (value[found.start()] != "\n"), False
    else:
        right = min(len(value), end + limit)
        cut_right = right < len(value)
    if right - left > limit:
        room = max(0, limit - 2 - (end - start))
        lo = max(left, start - room // 2)
        hi = min(right, end + room - (start - lo))
        lo = max(left, hi - (limit - 2))
        cut_left, cut_right = cut_left or lo > left, cut_right or hi < right
        left, right = lo, hi
    text = " ".join(value[left:right].split())
    return f"{'…' if cut_left else ''}{text}{'…' if cut_right else ''}"[:limit]
