"""Builders for the story-clustering tests: articles, the seed, the dev stream path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from shared.records import TaggedArticle
from tests.support import records

ROOT = Path(__file__).resolve().parents[3]
DEVSTREAM = ROOT / "tests" / "data" / "stories" / "devstream.jsonl"
SEED = ROOT / "seeds" / "000_de5d6d664b2f1cc6.txt"
T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def tagged(
    article_id: str,
    lang: str,
    title: str,
    text: str,
    published: datetime,
    source: str = "wire",
    entities: tuple[str, ...] = (),
) -> TaggedArticle:
    art = records.article(
        article_id,
        url=f"https://example.org/{article_id}",
        title=title,
        text=text,
        lang=lang,
        published=published,
        source=source,
        feed="test",
    )
    return records.tagged(art, [records.mention(e, end=0, snippet="") for e in entities])


def seed_article(published: datetime = T0) -> TaggedArticle:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    return tagged(
        "seed-de", "de", lines[2].strip(), "\n".join(lines[3:]), published, source="businesspunk"
    )
