"""``python -m services.ingest check URL… [--json]``: try feeds before adding them.

Each URL goes through the poller's own path, ``Ingestor.refresh`` (the same SSRF guard,
``WIREWATCH_ALLOW_HOSTS``, caps, timeouts, entity refusal, parse and normalise), with a
publish that only collects and an in-memory state: nothing reaches Kafka and nothing
is written to disk. Articles go to stdout (JSON lines with ``--json``); for each feed one
line goes to stderr, ``ok <url>: N articles (M skipped: reasons)`` or
``error <url>: <kind>: <reason>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from services.ingest.feeds import FeedConfig
from services.ingest.pipeline import Ingestor, RefreshResult
from services.ingest.state import IngestState
from shared.records import Article
from shared.settings import Settings

__all__ = ["FeedCheck", "article_json", "article_line", "check_feeds", "dumps", "summary"]

TEXT_START = 160  # characters of the text shown per article


@dataclass
class FeedCheck:
    url: str
    ok: bool
    line: str  # the one stderr line
    articles: list[Article] = field(default_factory=list)


def article_json(article: Article) -> dict[str, Any]:
    return {
        "feed": article.feed,
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "published": article.published.isoformat(),
        "lang": article.lang,
        "source": article.source,
        "text_length": len(article.text),
        "text_start": article.text[:TEXT_START],
    }


def article_line(article: Article) -> str:
    when = article.published.strftime("%Y-%m-%d %H:%M")
    return f"{when}  {article.lang:<3}  {article.source[:24]:<24}  {article.title}  <{article.url}>"


def summary(url: str, result: RefreshResult, articles: int) -> str:
    if result.status == "error":
        return f"error {url}: {result.reason}"
    skipped = sum(count for _, count in result.not_published)
    word = "article" if articles == 1 else "articles"
    if not skipped:
        return f"ok {url}: {articles} {word}"
    reasons = ", ".join(f"{count} {reason}" for reason, count in result.not_published)
    return f"ok {url}: {articles} {word} ({skipped} skipped: {reasons})"


async def check_feeds(
    settings: Settings,
    urls: list[str],
    *,
    http: httpx.AsyncClient | None = None,
    on_feed: Callable[[FeedCheck], None] | None = None,
) -> list[FeedCheck]:
    """Check ``urls`` one after the other; ``on_feed`` sees each result as it is ready.
    Never raises for a bad feed: each outcome is a ``FeedCheck``."""
    collected: list[Article] = []

    async def keep(article: Article) -> None:
        collected.append(article)

    checks: list[FeedCheck] = []
    state = IngestState(":memory:")
    try:
        async with Ingestor(settings, keep, http=http, state=state) as ingestor:
            for url in urls:
                collected.clear()
                try:
                    result = await ingestor.refresh(FeedConfig(url=url))
                except Exception as exc:  # a bug, said in one line: check never shows a traceback
                    problem = f"internal: {type(exc).__name__}: {exc}"
                    check = FeedCheck(url, False, f"error {url}: {problem}")
                else:
                    line = summary(url, result, len(collected))
                    check = FeedCheck(url, result.status != "error", line, list(collected))
                checks.append(check)
                if on_feed is not None:
                    on_feed(check)
    finally:
        state.close()
    return checks


def dumps(article: Article) -> str:
    return orjson.dumps(article_json(article)).decode()
