"""Item-level precision and recall on the real, hand-labelled news items that live
beside the repository (never committed: the texts belong to their publishers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.tagger.matcher import Matcher

ITEMS = Path(__file__).resolve().parents[3].parent / "shared/data/real-news/items.dev.jsonl"
ENTITIES = ("elon_musk", "sam_altman", "openai", "tesla_roadster")


@pytest.mark.skipif(not ITEMS.exists(), reason=f"{ITEMS} not present")
def test_real_items(matcher: Matcher) -> None:
    wrong = []
    for line in ITEMS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        text = "\n\n".join(part for part in (item["summary"], item["content"]) if part)
        found = {m.entity for m in matcher.find_mentions(item["title"], text, item["lang"])}
        wrong += [
            (item["id"], e, item["entities"][e])
            for e in ENTITIES
            if (e in found) != item["entities"][e]
        ]
    assert wrong == []
