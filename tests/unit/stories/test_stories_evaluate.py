"""Clustering metrics, and the clusterer scored on the labelled development stream."""

from __future__ import annotations

import pytest

from services.stories import scoring
from services.stories.clustering import StoryIndex
from services.stories.evaluate import alerts_per_story, bcubed, link_scores, pairwise
from services.stories.offline import baseline, replay, report
from shared.settings import Settings


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


# Measured on the synthetic dev stream at the defaults (threshold 0.335, link 0.7):
# pairwise F1 de 0.964 / en 0.934, B-cubed F1 de 0.978 / en 0.968, links F1 0.880.
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


def test_alerts_per_story_counts_founders_per_real_story() -> None:
    gold = ["a", "a", "a", "b", "b", "c", "d"]
    founded = [True, True, False, True, False, False, True]  # a: 2 alerts, b: 1, c: swallowed
    alerts = alerts_per_story(gold, founded)
    assert alerts["stories"] == 2  # a and b have at least 2 articles
    assert alerts["mean"] == pytest.approx(1.5)
    assert alerts["p90"] == 2.0
    assert alerts["merged"] == 1  # c never founded a story
    with pytest.raises(ValueError, match="different numbers"):
        alerts_per_story(["a"], [True, False])


def test_report_scores_alerts_the_largest_story_apart_and_the_baseline(devstream) -> None:
    scores = report(devstream, replay(devstream, StoryIndex()), baseline(devstream))
    for lang in ("de", "en"):
        got = scores[lang]
        assert 0.9 <= got["alerts"]["mean"] <= 1.2, got["alerts"]
        assert got["without_largest"]["pairwise"]["f1"] >= FLOORS["pairwise"]
        # the peer is worse on this stream, and the ratio says so
        assert got["baseline"]["pairwise_f1"] < got["pairwise"]["f1"]
        assert got["baseline"]["ratio"] == pytest.approx(
            got["pairwise"]["f1"] / got["baseline"]["pairwise_f1"], abs=0.01
        )


def test_the_tuned_defaults_live_in_one_place() -> None:
    index = StoryIndex()
    assert Settings().story_threshold == scoring.THRESHOLD == index.threshold
    assert Settings().story_dormant_after_s == scoring.DORMANT_AFTER.total_seconds()
    assert index.link_threshold == scoring.LINK_THRESHOLD
