"""Replay archived articles as a test stream: the seed articles in ``seeds/`` and JSONL
archives, published to the articles topic as fast as possible, in real time, or at N×
real time (the gaps between publication times, divided by the speed factor)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from services.ingest.normalise import article_id, canonical_url, detect_language
from shared.records import Article

Publish = Callable[[Article], Awaitable[None]]


class ArchiveError(ValueError):
    """An archive line or seed entry cannot be turned into an article."""


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, int | float):
        dt = datetime.fromtimestamp(value, UTC)
    else:
        raise ArchiveError(f"no usable publication time: {value!r}")
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def article_from(item: dict[str, Any], *, feed: str, now: datetime) -> Article:
    """An ``Article`` from a loose archive record (our wire format, or id/date/title/text)."""
    title = str(item.get("title") or "").strip()
    text = str(item.get("text") or item.get("content") or item.get("summary") or "")
    if not title and not text:
        raise ArchiveError("neither title nor text")
    url = canonical_url(str(item["url"])) if item.get("url") else ""
    ident = str(item.get("id") or (article_id(url) if url else ""))
    if not ident:
        raise ArchiveError("neither id nor url")
    published = _utc(item.get("published") or item.get("date") or now)
    return Article(
        id=ident,
        url=url,
        title=title,
        text=text,
        lang=str(item.get("lang") or detect_language(f"{title}\n{text}")),
        published=published,
        fetched=now,
        source=str(item.get("source") or item.get("publisher") or feed),
        feed=feed,
    )


def load_seeds(seeds_dir: Path, now: datetime | None = None) -> list[Article]:
    """The seed articles listed in ``seeds_dir/seeds.yaml``, in publication order."""
    now = now or datetime.now(UTC)
    manifest = yaml.safe_load((seeds_dir / "seeds.yaml").read_text(encoding="utf-8"))
    articles = []
    for entry in manifest["seeds"]:
        raw = (seeds_dir / entry["file"]).read_text(encoding="utf-8")
        lines = raw.splitlines()
        title = entry["title"].strip()
        at = max((i for i, line in enumerate(lines) if line.strip() == title), default=-1)
        if at < 0:
            raise ArchiveError(f"{entry['file']}: no line holds the title {title!r}")
        body = "\n".join(lines[at + 1 :]).strip()
        articles.append(
            article_from({**entry, "text": body}, feed=f"seeds:{seeds_dir.name}", now=now)
        )
    return sorted(articles, key=lambda a: a.published)


def load_archive(path: Path, now: datetime | None = None) -> Iterator[Article]:
    """Articles from a JSONL archive; a bad line raises ``ArchiveError`` naming it."""
    now = now or datetime.now(UTC)
    with path.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield article_from(orjson.loads(line), feed=f"archive:{path.name}", now=now)
            except (orjson.JSONDecodeError, ArchiveError, ValueError, KeyError) as exc:
                raise ArchiveError(f"{path}:{number}: {exc}") from None


def gap(
    before: datetime, after: datetime, speed: float, max_gap_s: float, interval_s: float = 0.0
) -> float:
    """Seconds to wait between two articles: a fixed ``interval_s`` when given; else 0
    when ``speed`` is 0 (as fast as possible); else the publication gap divided by
    ``speed``, capped at ``max_gap_s``."""
    if interval_s > 0:
        return interval_s
    if speed <= 0:
        return 0.0
    return min(max(0.0, (after - before).total_seconds()) / speed, max_gap_s)


async def replay(
    articles: Iterable[Article],
    publish: Publish,
    *,
    speed: float = 0.0,
    max_gap_s: float = 5.0,
    interval_s: float = 0.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    """Publish ``articles`` (any iterable: archives are streamed, not loaded) paced by
    ``speed`` or ``interval_s``; returns how many were published."""
    count = 0
    previous: datetime | None = None
    for article in articles:
        if previous is not None:
            wait = gap(previous, article.published, speed, max_gap_s, interval_s)
            if wait:
                await sleep(wait)
        await publish(article)
        previous = article.published
        count += 1
    return count
