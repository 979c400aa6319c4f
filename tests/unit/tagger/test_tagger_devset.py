"""Precision and recall per entity on the hand-labelled development set (original
sentences, a majority of them traps). A mention counts only with the exact entity,
field and offsets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from services.tagger.matcher import Matcher

DEVSET = Path(__file__).resolve().parents[2] / "data" / "tagging" / "devset.jsonl"
ENTITIES = ("elon_musk", "sam_altman", "openai", "tesla_roadster")
Key = tuple[str, str, str, int, int]


def load() -> list[dict]:
    return [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines()]


def test_devset_is_well_formed() -> None:
    rows = load()
    assert len(rows) >= 170
    assert sum(r["trap"] for r in rows) >= len(rows) / 3
    assert {r["lang"] for r in rows} == {"de", "en"}
    for row in rows:
        for m in row["mentions"]:
            assert row[m["field"]][m["start"] : m["end"]] == m["text"], row["id"]
    counts = Counter(m["entity"] for r in rows for m in r["mentions"])
    assert all(counts[e] >= 20 for e in ENTITIES), counts


def scores(matcher: Matcher) -> dict[str, tuple[float, float]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for row in load():
        gold: set[Key] = {
            (m["entity"], m["text"], m["field"], m["start"], m["end"]) for m in row["mentions"]
        }
        got: set[Key] = {
            (m.entity, m.text, m.field, m.start, m.end)
            for m in matcher.find_mentions(row["title"], row["text"], row["lang"])
        }
        for key in got & gold:
            tp[key[0]] += 1
        for key in got - gold:
            fp[key[0]] += 1
        for key in gold - got:
            fn[key[0]] += 1
    return {e: (tp[e] / max(1, tp[e] + fp[e]), tp[e] / max(1, tp[e] + fn[e])) for e in ENTITIES}


@pytest.mark.parametrize("entity", ENTITIES)
def test_precision_and_recall(matcher: Matcher, entity: str) -> None:
    precision, recall = scores(matcher)[entity]
    assert precision >= 0.98, f"{entity}: precision {precision:.3f}"
    assert recall >= 0.98, f"{entity}: recall {recall:.3f}"


def test_offsets_slice_to_text(matcher: Matcher) -> None:
    for row in load():
        for m in matcher.find_mentions(row["title"], row["text"], row["lang"]):
            assert row[m.field][m.start : m.end] == m.text
            assert len(m.snippet) <= 300
