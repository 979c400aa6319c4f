"""Clustering metrics: pairwise and B-cubed precision/recall/F1, and cross-lingual links.

Pairwise (Miranda et al. 2018): every pair of items is a true positive when both the
gold labels and the predicted clusters put it together. B-cubed (Bagga & Baldwin
1998): per item, the share of its predicted cluster that shares its gold label
(precision) and the share of its gold cluster that shares its prediction (recall),
averaged over items. ``alerts_per_story`` is the subscriber's view: how many "new
story" alerts each real story caused, and how many real stories never caused one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Scores", "alerts_per_story", "bcubed", "link_scores", "pairwise"]


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"p": round(self.precision, 4), "r": round(self.recall, 4), "f1": round(self.f1, 4)}


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _ratio(num: float, den: float) -> float:
    return num / den if den else 1.0


def pairwise(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Pairwise scores of two labellings of the same items (same order)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted label different numbers of items")
    both = sum(_pairs(n) for n in Counter(zip(gold, predicted, strict=True)).values())
    in_gold = sum(_pairs(n) for n in Counter(gold).values())
    in_pred = sum(_pairs(n) for n in Counter(predicted).values())
    return Scores(_ratio(both, in_pred), _ratio(both, in_gold))


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """B-cubed scores of two labellings of the same items (same order)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted label different numbers of items")
    if not gold:
        return Scores(1.0, 1.0)
    cells = Counter(zip(gold, predicted, strict=True))
    gold_sizes, pred_sizes = Counter(gold), Counter(predicted)
    precision = sum(n * n / pred_sizes[p] for (_, p), n in cells.items()) / len(gold)
    recall = sum(n * n / gold_sizes[g] for (g, _), n in cells.items()) / len(gold)
    return Scores(precision, recall)


def link_scores(
    items: Iterable[tuple[str, Hashable, Hashable]],
    links: Iterable[tuple[Hashable, Hashable]],
) -> Scores:
    """Cross-lingual pairwise scores.

    ``items`` are (language, gold event, predicted story) per article; ``links`` are
    predicted story pairs. An article pair in two languages is predicted together when
    its stories are linked, and belongs together when its gold events are equal.
    """
    story_events: dict[Hashable, Counter[Hashable]] = {}
    story_lang: dict[Hashable, str] = {}
    event_langs: dict[Hashable, Counter[str]] = {}
    for lang, event, story in items:
        story_events.setdefault(story, Counter())[event] += 1
        story_lang[story] = lang
        event_langs.setdefault(event, Counter())[lang] += 1
    pairs = {
        tuple(sorted((a, b), key=str))
        for a, b in links
        if a in story_lang and b in story_lang and story_lang[a] != story_lang[b]
    }
    predicted = true = 0
    for a, b in pairs:
        ea, eb = story_events[a], story_events[b]
        predicted += sum(ea.values()) * sum(eb.values())
        true += sum(n * eb[e] for e, n in ea.items())
    gold = sum(_cross(langs) for langs in event_langs.values())
    return Scores(_ratio(true, predicted), _ratio(true, gold))


def _cross(langs: Mapping[str, int]) -> int:
    sizes = list(langs.values())
    return sum(sizes[i] * sizes[j] for i in range(len(sizes)) for j in range(i + 1, len(sizes)))


def alerts_per_story(
    gold: Sequence[Hashable], founded: Sequence[bool], min_size: int = 2
) -> dict[str, float]:
    """New-story alerts per real story, for a subscription that matches everything.

    An article that founded a predicted story caused one "new story" alert. For each
    real story of at least ``min_size`` articles: how many of its articles did (``mean``
    and 90th percentile ``p90``; 1 is ideal). ``merged``: real stories of any size none
    of whose articles founded a story, so the event was swallowed by another story and
    never alerted as new.
    """
    if len(gold) != len(founded):
        raise ValueError("gold and founded label different numbers of items")
    sizes = Counter(gold)
    alerts: Counter[Hashable] = Counter(g for g, new in zip(gold, founded, strict=True) if new)
    counts = sorted(alerts[g] for g, n in sizes.items() if n >= min_size)
    if not counts:
        return {"stories": 0, "mean": 0.0, "p90": 0.0, "merged": 0}
    p90 = counts[min(len(counts) - 1, math.ceil(0.9 * len(counts)) - 1)]
    return {
        "stories": len(counts),
        "mean": round(sum(counts) / len(counts), 3),
        "p90": float(p90),
        "merged": sum(1 for g in sizes if not alerts[g]),
    }
