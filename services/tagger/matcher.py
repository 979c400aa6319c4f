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
    before: frozenset[str]  # exclusion keys
    after: frozenset[str]


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
                )
        self._index = PhraseIndex(phrases)

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

    def find_mentions(self, title: str, text: str, lang: str | None = None) -> tuple[Mention, ...]:
        language = lang.split("-")[0].strip().lower() if lang else None
        fields: tuple[tuple[Field, str], ...] = (("title", title), ("text", text))
        hits = {name: self._index.find(value) for name, value in fields}
        keys = {h.key for found in hits.values() for h in found}
        mentions: list[Mention] = []
        for name, value in fields:
            if not hits[name]:
                continue
            context = _Context(value, hits[name], keys)
            sentences = _Sentences(value)
            candidates = [
                _Candidate(target, hit.start, hit.end)
                for hit in hits[name]
                if (target := self._targets.get(hit.key)) is not None
                and (not target.alias.langs or language is None or language in target.alias.langs)
                and context.allows(target, hit)
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
                        snippet=sentences.around(c.start, c.end),
                    )
                )
        return tuple(mentions)


class _Context:
    """The context phrases found in one field, indexed for the alias rules."""

    def __init__(self, value: str, hits: list[PhraseHit], keys: set[str]) -> None:
        self.value = value
        self.keys = keys
        self.by_key: dict[str, list[PhraseHit]] = defaultdict(list)
        self.ends: dict[int, set[str]] = defaultdict(set)
        self.starts: dict[int, set[str]] = defaultdict(set)
        for hit in hits:
            if hit.key[0] == "p":
                self.by_key[hit.key].append(hit)
                self.ends[hit.end].add(hit.key)
                self.starts[hit.start].add(hit.key)

    def allows(self, target: _Target, hit: PhraseHit) -> bool:
        value = self.value
        if target.before:
            at = hit.start
            while True:
                if not target.before.isdisjoint(self.ends.get(at, ())):
                    return False
                if at == 0 or value[at - 1] not in _GAP:
                    break
                at -= 1
        if target.after:
            at = hit.end
            while True:
                if not target.after.isdisjoint(self.starts.get(at, ())):
                    return False
                if at == len(value) or value[at] not in _GAP:
                    break
                at += 1
        if not target.require:
            return True
        near = target.alias.within
        if near is None:
            return any(key in self.keys for key in target.require)
        return any(
            h.start - hit.end <= near and hit.start - h.end <= near
            for key in target.require
            for h in self.by_key.get(key, ())
        )


def _longest_per_entity(candidates: list[_Candidate]) -> list[_Candidate]:
    """Per entity, among overlapping candidates keep the longest (then the earliest)."""
    by_entity: dict[str, list[_Candidate]] = defaultdict(list)
    for c in candidates:
        by_entity[c.target.entity].append(c)
    kept: list[_Candidate] = []
    for group in by_entity.values():
        group.sort(key=lambda c: (c.start, -c.end))
        cluster: list[_Candidate] = []
        reach = -1
        for c in group:
            if c.start >= reach:
                kept += _longest_first(cluster)
                cluster = []
            cluster.append(c)
            reach = max(reach, c.end)
        kept += _longest_first(cluster)
    return sorted(kept, key=lambda c: (c.start, c.end, c.target.entity))


def _longest_first(cluster: list[_Candidate]) -> list[_Candidate]:
    """Non-overlapping picks from one overlap chain (short: quadratic is fine)."""
    chosen: list[_Candidate] = []
    for k in sorted(cluster, key=lambda c: (c.start - c.end, c.start)):
        if all(k.end <= o.start or o.end <= k.start for o in chosen):
            chosen.append(k)
    return chosen


def snippet(value: str, start: int, end: int, limit: int = SNIPPET_MAX) -> str:
    """The sentence around ``value[start:end]`` with whitespace collapsed; a sentence
    longer than ``limit`` is cut around the mention, "…" marking each cut."""
    return _Sentences(value).around(start, end, limit)


class _Sentences:
    """Sentence boundaries of one field, found once for all its mentions."""

    def __init__(self, value: str) -> None:
        self.value = value
        marks = list(_SENTENCE_END.finditer(value))
        self.marks = [m.start() for m in marks]
        self.stops = [m.start() + (value[m.start()] != "\n") for m in marks]
        self.begins = [m.end() for m in marks]

    def around(self, start: int, end: int, limit: int = SNIPPET_MAX) -> str:
        value = self.value
        i = bisect_right(self.begins, start) - 1
        left = self.begins[i] if i >= 0 else 0
        k = bisect_left(self.marks, end)
        right = self.stops[k] if k < len(self.marks) else len(value)
        cut_left = cut_right = False
        if right - left > limit:
            room = max(0, limit - 2 - (end - start))
            lo = max(left, start - room // 2)
            hi = min(right, end + room - (start - lo))
            lo = max(left, hi - (limit - 2))
            cut_left, cut_right = lo > left, hi < right
            left, right = lo, hi
        text = " ".join(value[left:right].split())
        return f"{'…' if cut_left else ''}{text}{'…' if cut_right else ''}"[:limit]
