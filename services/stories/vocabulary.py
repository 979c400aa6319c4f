"""Per-language document frequencies, maintained online from the live stories.

A feature's document frequency is the number of live member articles that carry it in
their story's (capped) centroid; the document count is the number of live member
articles. Both go up when an article joins a story and down when a centroid is pruned
or a story goes dormant, so IDF always describes the current window, and it can be
rebuilt exactly from the exported stories after a restart.
"""

from __future__ import annotations

from collections.abc import Mapping

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
