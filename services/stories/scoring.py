"""How similar an article is to a story: weighted cosines and a time decay.

Vectors are TF-IDF with binary term frequency per article: an article weighs each of
its features by its IDF, a story weighs each centroid feature by (member articles
carrying it) × IDF. The article–story score is a weighted sum of the cosines of
title, body and names, multiplied by a decay in the time gap between the article and
the story (Miranda et al. 2018 combine the same kinds of similarity, learned; here the
weights are set by hand on the development stream).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DORMANT_AFTER",
    "LINK_THRESHOLD",
    "THRESHOLD",
    "Weights",
    "centroid_norm",
    "cosine",
    "decay",
    "idf",
]

# The tuned defaults, in this one place (the settings object and the CLI take them from
# here; README and docs/stories.md quote them). Tuned on the real development corpus
# (../shared/data/real-stories) with the synthetic stream held at its floors.
THRESHOLD = 0.335  # article–story similarity needed to join
LINK_THRESHOLD = 0.7  # story–story similarity across languages needed to link
DORMANT_AFTER = timedelta(days=3)  # quiet event time after which a story closes


@dataclass(frozen=True, slots=True)
class Weights:
    title: float = 0.11
    body: float = 0.29
    names: float = 0.60
    half_life: timedelta = timedelta(days=4)
    local_name: float = 0.35  # weight of a name seen in one language only


def idf(df: int, n_docs: int) -> float:
    """Smoothed inverse document frequency, ≥ 1."""
    return math.log((1 + n_docs) / (1 + df)) + 1.0


def centroid_norm(centroid: Mapping[str, int], weight: Callable[[str], float]) -> float:
    """Norm of a centroid weighted by ``weight(key)`` (IDF) per member count."""
    total = 0.0
    for key, count in centroid.items():
        w = count * weight(key)
        total += w * w
    return math.sqrt(total)


def cosine(
    article_sq: Mapping[str, float],
    article_norm: float,
    centroid: Mapping[str, int],
    centroid_norm: float,
) -> float:
    """Cosine of an article (``article_sq``: squared IDF per feature) and a centroid.

    Article weight ``w = idf``, centroid weight ``count × idf``: the dot product is
    ``Σ idf² × count``.
    """
    if article_norm == 0.0 or centroid_norm == 0.0:
        return 0.0
    get = centroid.get
    dot = 0.0
    for key, sq in article_sq.items():
        count = get(key)
        if count:
            dot += sq * count
    return dot / (article_norm * centroid_norm)


def decay(
    published: datetime, first_seen: datetime, last_seen: datetime, half_life: timedelta
) -> float:
    """1 inside the story's time span, halving every ``half_life`` outside it."""
    if published > last_seen:
        gap = published - last_seen
    elif published < first_seen:
        gap = first_seen - published
    else:
        return 1.0
    return 0.5 ** (gap / half_life)
