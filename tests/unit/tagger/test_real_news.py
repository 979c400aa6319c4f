"""Item-level precision and recall on the real, hand-labelled news items that live
beside the repository (never committed: the texts belong to their publishers)."""

from __future__ import annotations

import json

from services.tagger.matcher import Matcher
from tests.support.shared_data import SHARED_DATA, require

ITEMS = SHARED_DATA / "real-news/items.dev.jsonl"
ENTITIES = ("elon_musk", "sam_altman", "openai", "tesla_roadster")


def test_real_items(matcher: Matcher) -> None:
    wrong = []
    for line in require(ITEMS).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        text = "\n\n".join(part for part in (item["summary"], item["content"]) if part)
        found = {m.entity for m in matcher.find_mentions(item["title"], text, item["lang"])}
        wrong += [
            (item["id"], e, item["entities"][e])
            for e in ENTITIES
            if (e in found) != item["entities"][e]
        ]
    assert wrong == []
