"""Replay: the seeds as articles, JSONL archives streamed, and pacing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.ingest.replay import ArchiveError, gap, load_archive, load_seeds, replay
from shared.records import Article
from shared.settings import ROOT
from tests.support import records

T0 = datetime(2025, 10, 20, 7, 30, tzinfo=UTC)


def test_seeds_load_in_publication_order_with_the_seed_document_first() -> None:
    seeds = load_seeds(ROOT / "seeds")
    assert len(seeds) == 6
    assert [a.published for a in seeds] == sorted(a.published for a in seeds)
    first = seeds[0]
    assert first.title.startswith("Musk vs. Altman: 39.000 Euro")
    assert first.lang == "de" and first.source == "Business Punk"
    raw = (ROOT / "seeds" / "000_de5d6d664b2f1cc6.txt").read_text(encoding="utf-8")
    assert first.text.startswith("Elon Musk und Sam Altman liefern sich")
    assert first.text in raw  # the body is the document's text after the title, untouched
    assert len({a.id for a in seeds}) == 6


def test_archive_lines_become_articles_and_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"id": "x1", "date": "2025-01-01T10:00:00Z", "lang": "en", "title": "T", "text": "B"}\n'
        "\n"
        '{"id": "x2", "title": "", "text": ""}\n'
    )
    articles = load_archive(path, now=T0)
    first = next(articles)
    assert (first.id, first.lang, first.title, first.text) == ("x1", "en", "T", "B")
    assert first.published == datetime(2025, 1, 1, 10, tzinfo=UTC)
    with pytest.raises(ArchiveError, match=r"a\.jsonl:3: neither title nor text"):
        next(articles)


@pytest.mark.parametrize(
    ("speed", "interval", "gap_s", "expected"),
    [(0, 0, 3600, 0.0), (3600, 0, 7200, 2.0), (1, 0, 7200, 5.0), (0, 0.5, 7200, 0.5)],
)
def test_gap(speed: float, interval: float, gap_s: float, expected: float) -> None:
    assert gap(T0, T0 + timedelta(seconds=gap_s), speed, 5.0, interval) == expected


def _article(n: int, minutes: int) -> Article:
    at = T0 + timedelta(minutes=minutes)
    return records.article(f"a{n}", url="", title="t", text="x", published=at, source="s", feed="f")


async def test_replay_paces_by_publication_gaps_and_streams() -> None:
    waits: list[float] = []
    sent: list[str] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    async def publish(a: Article) -> None:
        sent.append(a.id)

    articles = (_article(n, m) for n, m in enumerate([0, 1, 1, 61]))  # a generator
    count = await replay(articles, publish, speed=60, max_gap_s=30, sleep=sleep)
    assert count == 4 and sent == ["a0", "a1", "a2", "a3"]
    assert waits == [1.0, 30.0]  # 60 s / 60; 0 s skipped; 3600 s / 60 capped at 30
