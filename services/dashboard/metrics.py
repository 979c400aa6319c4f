"""Every metric the dashboard service exports.

``wirewatch_co_mentions_total`` exists because co-mentions cannot be derived from the
tagger's per-entity counters. Its labels are bounded: at most ``MAX_PAIRS`` distinct
pairs get their own series, every later pair is counted as ``_other``/``_other``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import combinations

from prometheus_client import Counter

MAX_PAIRS = 1000
OTHER = "_other"
FRESH = timedelta(minutes=15)

CO_MENTIONS = Counter(
    "wirewatch_co_mentions_total",
    "Articles mentioning both entities (entity_a < entity_b). At most 1000 pairs; "
    "later pairs count as _other. Articles fetched over 15 minutes ago are not counted, "
    "so a restarted dashboard that re-reads the topic does not count history twice.",
    ["entity_a", "entity_b"],
)


class PairLabels:
    """Chooses the label pair of each co-mention, keeping the set of pairs bounded."""

    def __init__(self, max_pairs: int = MAX_PAIRS) -> None:
        self.max_pairs = max_pairs
        self._known: set[tuple[str, str]] = set()

    def pairs(self, entities: Iterable[str]) -> list[tuple[str, str]]:
        out = []
        for pair in combinations(sorted(set(entities)), 2):
            if pair not in self._known and len(self._known) < self.max_pairs:
                self._known.add(pair)
            out.append(pair if pair in self._known else (OTHER, OTHER))
        return out


def observe_article(
    labels: PairLabels, entities: Iterable[str], fetched: datetime, now: datetime
) -> None:
    if now - fetched > FRESH:
        return
    for a, b in labels.pairs(entities):
        CO_MENTIONS.labels(entity_a=a, entity_b=b).inc()
