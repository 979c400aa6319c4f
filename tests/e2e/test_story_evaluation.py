"""The evaluation harness scores the real pipeline (replay → tagger → stories as
processes on the embedded broker) on the labelled development stream."""

from __future__ import annotations

import pytest

from services.stack.evaluate import evaluate
from services.stories.archive import read
from shared.settings import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# The offline core scores pairwise F1 0.96 de / 0.98 en on this stream. Through the
# pipeline, languages arrive in separate partitions and interleave differently from
# the archive's global order (names seen in both languages weigh more), so the figures
# are a little lower and vary run to run; these floors leave room for that, no more.
FLOOR_PAIRWISE = 0.88
FLOOR_BCUBED = 0.90


def test_pipeline_groups_the_dev_stream() -> None:
    entries = read((ROOT / "tests" / "data" / "stories" / "devstream.jsonl").read_text())
    scores = evaluate(entries)
    for lang in ("de", "en"):
        got = scores[lang]
        assert got["articles"] == sum(e.article.article.lang == lang for e in entries)
        assert got["pairwise"]["f1"] >= FLOOR_PAIRWISE, (lang, got)
        assert got["bcubed"]["f1"] >= FLOOR_BCUBED, (lang, got)
    assert scores["links"]["pairs"] > 0
