"""Per-language document frequencies, maintained online from the live stories.

A feature's document frequency is the number of live stories whose (capped) centroid
carries it; the document count is the number of live stories. A feature counts once
for a story however many of its articles carry it, so one big story does not make its
own words common. Both go up when a story is founded or gains a feature and down when a
centroid is pruned or a story goes dormant, so IDF always describes the current window,
and it can be rebuilt exactly from the exported stories after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import log

from .postings import Postings
from .scoring import idf

__all__ = ["Vocabulary"]


class Vocabulary:
    """Counts and postings of one language."""

    def __init__(self) -> None:
        self.docs = 0
        self.terms: dict[str, int] = {}
        self.names: dict[str, int] = {}
        self.term_postings = Postings()
        self.name_postings = Postings()

    def term_idf(self, term: str) -> float:
        return idf(self.terms.get(term, 0), self.docs)

    def name_idf(self, name: str) -> float:
        return idf(self.names.get(name, 0), self.docs)

    def term_weights(self, terms: Iterable[str]) -> dict[str, float]:
        """``term_idf`` of each of ``terms``, in one pass (same values, no calls per term)."""
        n = 1 + self.docs
        get = self.terms.get
        return {term: log(n / (1 + get(term, 0))) + 1.0 for term in terms}

    def name_weights(self, names: Iterable[str]) -> dict[str, float]:
        """``name_idf`` of each of ``names``, in one pass."""
        n = 1 + self.docs
        get = self.names.get
        return {name: log(n / (1 + get(name, 0))) + 1.0 for name in names}

    def add(self, terms: Mapping[str, int], names: Mapping[str, int], docs: int) -> None:
        self.docs += docs
        _add(self.terms, terms, 1)
        _add(self.names, names, 1)

    def remove(self, terms: Mapping[str, int], names: Mapping[str, int], docs: int) -> None:
        self.docs -= docs
        _add(self.terms, terms, -1)
        _add(self.names, names, -1)


def _add(counts: dict[str, int], delta: Mapping[str, int], sign: int) -> None:
    for key, n in delta.items():
        value = counts.get(key, 0) + sign * n
        if value > 0:
            counts[key] = value
        else:
            counts.pop(key, None)
