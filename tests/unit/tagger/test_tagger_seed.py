"""The seed article: every mention of the four entities, enumerated by hand
(``seed_000_mentions.json``, offsets into the whole file), and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from services.tagger.matcher import Matcher

HERE = Path(__file__).resolve().parent
EXPECTED = json.loads((HERE / "seed_000_mentions.json").read_text(encoding="utf-8"))
SEED = (HERE.parents[2] / EXPECTED["file"]).read_text(encoding="utf-8")


def test_expected_list_matches_the_file() -> None:
    for m in EXPECTED["mentions"]:
        assert SEED[m["start"] : m["end"]] == m["text"]


def test_seed_mentions_exactly(matcher: Matcher) -> None:
    got = [(m.entity, m.text, m.start, m.end) for m in matcher.find_mentions("", SEED, "de")]
    want = sorted(
        ((m["entity"], m["text"], m["start"], m["end"]) for m in EXPECTED["mentions"]),
        key=lambda m: (m[2], m[3], m[0]),
    )
    assert got == want


def test_seed_title_as_title_field(matcher: Matcher) -> None:
    title = "Musk vs. Altman: 39.000 Euro, ein Roadster – und das Ego zweier KI-Götter"
    mentions = matcher.find_mentions(title, "", "de")
    assert [(m.entity, m.text, m.field) for m in mentions] == [
        ("elon_musk", "Musk", "title"),
        ("sam_altman", "Altman", "title"),
        ("tesla_roadster", "Roadster", "title"),
    ]
