"""The bounded state of one story, and how it is exported and restored.

A story holds, per feature kind, how many of its member articles carry each feature
(its centroid, capped), the keys it is posted under in the inverted index, and the
norms of its weighted centroid as they were at its last update. Every field is plain
JSON, so ``to_state`` → ``from_state`` is exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from sys import intern
from typing import Any

from shared.records import StorySummary

__all__ = ["MAX_SOURCES", "Story"]

MAX_SOURCES = 512  # distinct sources remembered per story; source_count saturates there


@dataclass(slots=True)
class Story:
    id: str
    lang: str
    seq: int
    first_seen: datetime
    last_seen: datetime
    headline: str
    headline_terms: tuple[str, ...]
    revision: int = 0
    article_count: int = 0
    title: dict[str, int] = field(default_factory=dict)
    body: dict[str, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    term_keys: tuple[str, ...] = ()
    name_keys: tuple[str, ...] = ()
    top_terms: tuple[str, ...] = ()
    links: list[str] = field(default_factory=list)
    norms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # title, body, names

    def summary(self) -> StorySummary:
        top_entities = sorted(self.entities.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        return StorySummary(
            id=self.id,
            lang=self.lang,
            headline=self.headline,
            revision=self.revision,
            article_count=self.article_count,
            source_count=len(self.sources),
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            entities=tuple(entity for entity, _ in top_entities),
            terms=self.top_terms,
            members=tuple(self.members),
            links=tuple(sorted(self.links)),
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lang": self.lang,
            "seq": self.seq,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "headline": self.headline,
            "headline_terms": list(self.headline_terms),
            "revision": self.revision,
            "article_count": self.article_count,
            "title": dict(self.title),
            "body": dict(self.body),
            "names": dict(self.names),
            "entities": dict(self.entities),
            "sources": list(self.sources),
            "members": list(self.members),
            "term_keys": list(self.term_keys),
            "name_keys": list(self.name_keys),
            "top_terms": list(self.top_terms),
            "links": list(self.links),
            "norms": list(self.norms),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Story:
        """Restore ``to_state``. Feature keys and ids are interned: after a restart the
        stories share one string per term, as they do when built from the stream."""
        title, body, names = (float(n) for n in state["norms"])
        return cls(
            id=intern(str(state["id"])),
            lang=intern(str(state["lang"])),
            seq=int(state["seq"]),
            first_seen=datetime.fromisoformat(state["first_seen"]),
            last_seen=datetime.fromisoformat(state["last_seen"]),
            headline=str(state["headline"]),
            headline_terms=_keys(state["headline_terms"]),
            revision=int(state["revision"]),
            article_count=int(state["article_count"]),
            title=_counts(state["title"]),
            body=_counts(state["body"]),
            names=_counts(state["names"]),
            entities=_counts(state["entities"]),
            sources=list(_keys(state["sources"])),
            members=list(state["members"]),
            term_keys=_keys(state["term_keys"]),
            name_keys=_keys(state["name_keys"]),
            top_terms=_keys(state["top_terms"]),
            links=list(_keys(state["links"])),
            norms=(title, body, names),
        )


def _keys(keys: Iterable[Any]) -> tuple[str, ...]:
    return tuple(map(intern, map(str, keys)))


def _counts(counts: dict[str, Any]) -> dict[str, int]:
    return dict(zip(map(intern, map(str, counts)), map(int, counts.values()), strict=True))
