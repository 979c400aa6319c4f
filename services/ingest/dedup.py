"""Near-duplicate detection: MinHash over word 3-shingles, LSH for candidates.

Exact duplicates (same canonical URL or guid → same article id, from one feed or
several, before or after a restart) are caught by the seen-id table in ``state``.
This module catches the other kind: the same text, lightly edited, re-published under
another URL. A candidate from the LSH index counts only if its estimated Jaccard
similarity reaches the threshold. Texts shorter than ``MIN_TOKENS`` words are not
compared (teasers like "Read more…" look alike without being the same story).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

__all__ = ["MIN_TOKENS", "NUM_PERM", "NearDuplicates", "shingles", "signature"]

NUM_PERM = 64
MIN_TOKENS = 20
_SHINGLE = 3
_SCHEME = "affine32"
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = _SHINGLE) -> set[bytes]:
    words = _WORD.findall(text.casefold())
    if len(words) < MIN_TOKENS:
        return set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def signature(text: str) -> LeanMinHash | None:
    """The MinHash of ``text``, or ``None`` when it is too short to compare."""
    grams = shingles(text)
    if not grams:
        return None
    mh = MinHash(num_perm=NUM_PERM)
    mh.update_batch(list(grams))
    return LeanMinHash(mh)


def to_bytes(sig: LeanMinHash) -> bytes:
    return np.asarray(sig.hashvalues, dtype=np.uint32).tobytes()


def from_bytes(raw: bytes) -> LeanMinHash:
    values = np.frombuffer(raw, dtype=np.uint32).astype(np.uint64)
    return LeanMinHash(seed=1, hashvalues=values, scheme=_SCHEME)


class NearDuplicates:
    """An in-memory LSH index over the ``capacity`` most recent signatures."""

    def __init__(self, threshold: float, capacity: int) -> None:
        self.threshold = threshold
        self.capacity = capacity
        # LSH only proposes candidates: a lower threshold misses fewer, ``find`` verifies.
        lsh_threshold = max(0.1, min(0.9, threshold - 0.1))
        self._lsh = MinHashLSH(threshold=lsh_threshold, num_perm=NUM_PERM)
        self._sigs: dict[str, LeanMinHash] = {}
        self._order: deque[str] = deque()

    def __len__(self) -> int:
        return len(self._sigs)

    def load(self, items: Iterable[tuple[str, bytes]]) -> None:
        for key, raw in items:
            self.add(key, from_bytes(raw))

    def find(self, sig: LeanMinHash) -> str | None:
        """The id of a stored text similar to ``sig`` at or above the threshold."""
        best, best_score = None, self.threshold
        for key in self._lsh.query(sig):
            score = sig.jaccard(self._sigs[key])
            if score >= best_score:
                best, best_score = str(key), score
        return best

    def add(self, key: str, sig: LeanMinHash) -> None:
        if self.capacity <= 0 or key in self._sigs:
            return
        self._lsh.insert(key, sig)
        self._sigs[key] = sig
        self._order.append(key)
        while len(self._order) > self.capacity:
            old = self._order.popleft()
            self._lsh.remove(old)
            del self._sigs[old]
