"""The dashboard's small shell helpers and the page it serves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from services.dashboard import metrics
from services.dashboard.app import hours_param
from services.dashboard.page import PAGE

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "hours"),
    [(None, 6.0), ("3", 3.0), ("0.5", 0.5), ("48", 24.0), ("0", 6.0), ("-2", 6.0), ("x", 6.0)],
)
def test_hours_param(raw: str | None, hours: float) -> None:
    assert hours_param(raw) == hours


def test_pair_labels_are_sorted_and_bounded() -> None:
    labels = metrics.PairLabels(max_pairs=2)
    assert labels.pairs(["b", "a", "a"]) == [("a", "b")]
    assert labels.pairs(["a", "c"]) == [("a", "c")]
    assert labels.pairs(["b", "c"]) == [("_other", "_other")]
    assert labels.pairs(["a", "b"]) == [("a", "b")]
    assert labels.pairs(["x"]) == []


def test_co_mentions_counted_for_fresh_articles_only() -> None:
    labels = metrics.PairLabels()
    labelset = {"entity_a": "pairtest_a", "entity_b": "pairtest_b"}

    def count() -> float:
        return REGISTRY.get_sample_value("wirewatch_co_mentions_total", labelset) or 0.0

    before = count()
    metrics.observe_article(labels, ["pairtest_b", "pairtest_a"], NOW, NOW)
    metrics.observe_article(labels, ["pairtest_b", "pairtest_a"], NOW - timedelta(hours=1), NOW)
    assert count() == before + 1


def test_page_is_self_contained() -> None:
    # No CDN, no external script, style or font: every URL in the page is relative,
    # except the SVG namespace and the article links the script builds at run time.
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", PAGE))
    assert urls == set()
    absolute = set(re.findall(r"https?://[^\s\"'`)]+", PAGE))
    assert absolute == {"http://www.w3.org/2000/svg"}
    for path in ("api/stories", "api/mentions?hours=", "api/alerts"):
        assert path in PAGE
    assert "innerHTML" not in PAGE  # feed text is inserted as text, never as markup
    assert "__POLL_MS__" not in PAGE
