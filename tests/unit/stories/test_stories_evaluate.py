"""Clustering metrics, and the clusterer scored on the labelled development stream."""

from __future__ import annotations

import pytest

from services.stories.clustering import StoryIndex
from services.stories.evaluate import bcubed, link_scores, pairwise
from services.stories.replay import replay, report


def test_pairwise_counts_pairs_grouped_by_both() -> None:
    gold = ["a", "a", "a", "b", "b"]
    pred = [1, 1, 2, 2, 2]
    scores = pairwise(gold, pred)  # gold pairs 3+1, predicted 1+3, both 1+1
    assert scores.precision == pytest.approx(2 / 4)
    assert scores.recall == pytest.approx(2 / 4)
    assert pairwise(gold, gold).f1 == 1.0


def test_bcubed_averages_per_item() -> None:
    scores = bcubed(["a", "a", "b"], [1, 1, 1])
    assert scores.precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)
    assert scores.recall == 1.0
    assert bcubed(["a", "b"], [1, 2]).f1 == 1.0


def test_link_scores_count_cross_language_article_pairs() -> None:
    items = [("en", "e1", "s1"), ("en", "e1", "s1"), ("de", "e1", "s2"), ("de", "e2", "s3")]
    perfect = link_scores(items, [("s1", "s2")])
    assert (perfect.precision, perfect.recall) == (1.0, 1.0)
    wrong = link_scores(items, [("s1", "s2"), ("s1", "s3")])
    assert wrong.precision == pytest.approx(2 / 4) and wrong.recall == 1.0
    assert link_scores(items, []).recall == 0.0


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="different numbers"):
        pairwise(["a"], [1, 2])


# Measured on the synthetic dev stream at the defaults (threshold 0.35, link 0.7):
# pairwise F1 de 0.959 / en 0.984, B-cubed F1 de 0.974 / en 0.987, links F1 0.858.
FLOORS = {"pairwise": 0.93, "bcubed": 0.95}
LINK_FLOOR = 0.80


def test_devstream_quality_per_language(devstream) -> None:
    scores = report(devstream, replay(devstream, StoryIndex()))
    assert {"de", "en"} <= scores.keys()
    for lang in ("de", "en"):
        for metric, floor in FLOORS.items():
            assert scores[lang][metric]["f1"] >= floor, (lang, metric, scores[lang])
        assert abs(scores[lang]["stories"] - scores[lang]["gold_stories"]) <= 10
    assert scores["links"]["f1"] >= LINK_FLOOR, scores["links"]


def test_devstream_quality_drops_with_a_bad_threshold(devstream) -> None:
    """The quality test can fail: a threshold far off the tuned one scores below it."""
    scores = report(devstream, replay(devstream, StoryIndex(threshold=0.1)))
    assert min(scores[lang]["pairwise"]["f1"] for lang in ("de", "en")) < FLOORS["pairwise"]
