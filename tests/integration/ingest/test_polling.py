"""Conditional GET, backoff, parking, dedup across feeds and restarts, near-duplicates,
publish failures, feeds-file reload and interval overrides — against loopback servers."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

from aiohttp import web
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from services.ingest.feeds import FeedConfig
from services.ingest.pipeline import Ingestor
from services.ingest.state import IngestState, default_path
from tests.support.waiting import wait_for

from .conftest import Published


def item(n: int, text: str | None = None, link: str | None = None) -> str:
    body = text or f"Body of article number {n}."
    return (
        f"<item><title>Article {n}</title><link>{link or f'http://127.0.0.1/a/{n}'}</link>"
        f"<description>{body}</description></item>"
    )


def rss(*items: str) -> str:
    return f"<rss version='2.0'><channel><title>T</title>{''.join(items)}</channel></rss>"


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_conditional_get_second_poll_is_a_304_and_publishes_nothing(
    server, ingestor, published
):
    url = server.static("/feed", rss(item(1), item(2)), etag='"v1"',
                        headers={"Last-Modified": "Tue, 03 Jun 2025 10:00:00 GMT"})  # fmt: skip
    before = metric("wirewatch_ingest_fetches_total", outcome="not_modified")
    first = await ingestor.refresh(FeedConfig(url=url))
    second = await ingestor.refresh(FeedConfig(url=url))
    assert (first.status, first.new) == ("ok", 2)
    assert (second.status, second.new) == ("not_modified", 0)
    assert len(published.articles) == 2
    assert server.hits["/feed"] == 2
    conditional = server.requests[-1].headers
    assert conditional["If-None-Match"] == '"v1"'
    assert conditional["If-Modified-Since"] == "Tue, 03 Jun 2025 10:00:00 GMT"
    assert metric("wirewatch_ingest_fetches_total", outcome="not_modified") == before + 1


async def test_validators_survive_a_restart(server, settings):
    url = server.static("/feed", rss(item(1)), etag='"v1"')
    async with Ingestor(settings, Published()) as first:
        await first.refresh(FeedConfig(url=url))
    later = Published()
    async with Ingestor(settings, later) as second:  # a new Ingestor on the same state dir
        result = await second.refresh(FeedConfig(url=url))
    assert result.status == "not_modified" and later.articles == []


async def test_dedup_across_a_restart_without_validators(server, settings):
    url = server.static("/feed", rss(item(1), item(2)))
    first_run = Published()
    async with Ingestor(settings, first_run) as first:
        await first.refresh(FeedConfig(url=url))
    server.static("/feed", rss(item(1), item(2), item(3)))
    second_run = Published()
    async with Ingestor(settings, second_run) as second:
        result = await second.refresh(FeedConfig(url=url))
    assert [a.title for a in first_run.articles] == ["Article 1", "Article 2"]
    assert [a.title for a in second_run.articles] == ["Article 3"]
    assert result.duplicates == 2


async def test_the_same_article_in_two_feeds_is_published_once(server, ingestor, published):
    link = "http://127.0.0.1/shared/story?utm_source=feed-a"
    a = server.static("/a", rss(item(1, link=link)))
    b = server.static("/b", rss(item(1, link="http://127.0.0.1/shared/story?utm_medium=b#x")))
    before = metric("wirewatch_ingest_duplicates_total", kind="exact")
    ra = await ingestor.refresh(FeedConfig(url=a))
    rb = await ingestor.refresh(FeedConfig(url=b))
    assert (ra.new, rb.new, rb.duplicates) == (1, 0, 1)
    assert len(published.articles) == 1
    assert metric("wirewatch_ingest_duplicates_total", kind="exact") == before + 1


STORY = (
    "Die Bundesbank hat ihre Wachstumsprognose für das kommende Jahr deutlich gesenkt und "
    "begründet das mit schwachen Exporten, hohen Energiepreisen und einer nur langsamen "
    "Erholung der Industrieproduktion. Ökonomen hatten mit einer kleineren Korrektur "
    "gerechnet. Die Notenbank erwartet nun nur noch ein Wachstum von 0,4 Prozent, nach "
    "1,2 Prozent in der Frühjahrsprognose, und sieht weiterhin Abwärtsrisiken."
)


async def test_a_lightly_edited_copy_under_another_url_is_a_near_duplicate(
    server, ingestor, published
):
    edited = STORY.replace("deutlich gesenkt", "spürbar gesenkt").replace("nur noch", "noch")
    a = server.static("/a", rss(item(1, STORY, "http://127.0.0.1/original")))
    b = server.static("/b", rss(item(2, edited, "http://127.0.0.1/copy")))
    before = metric("wirewatch_ingest_duplicates_total", kind="near")
    await ingestor.refresh(FeedConfig(url=a))
    result = await ingestor.refresh(FeedConfig(url=b))
    assert result.near_duplicates == 1 and result.new == 0
    assert [a.url for a in published.articles] == ["http://127.0.0.1/original"]
    assert metric("wirewatch_ingest_duplicates_total", kind="near") == before + 1


async def test_near_duplicates_are_recognised_after_a_restart(server, settings):
    a = server.static("/a", rss(item(1, STORY, "http://127.0.0.1/original")))
    b = server.static("/b", rss(item(2, STORY + " Update.", "http://127.0.0.1/copy")))
    async with Ingestor(settings, Published()) as first:
        await first.refresh(FeedConfig(url=a))
    later = Published()
    async with Ingestor(settings, later) as second:
        result = await second.refresh(FeedConfig(url=b))
    assert result.near_duplicates == 1 and later.articles == []


async def test_a_failed_publish_loses_nothing(server, settings):
    url = server.static("/feed", rss(item(1), item(2)), etag='"v1"')
    calls = []

    async def flaky(article) -> None:
        calls.append(article.id)
        if len(calls) == 2:
            raise ConnectionError("broker down")

    async with Ingestor(settings, flaky) as ingestor:
        failed = await ingestor.refresh(FeedConfig(url=url))
        assert (failed.status, failed.kind, failed.new) == ("error", "publish_failed", 1)
        retried = await ingestor.refresh(FeedConfig(url=url))
    # the ETag was not stored, so the body came again; article 1 is not published twice
    assert server.requests[-1].headers.get("If-None-Match") is None
    assert (retried.status, retried.new, retried.duplicates) == ("ok", 1, 1)
    assert len(calls) == 3 and calls[1] == calls[2] != calls[0]


def failing(status: int, retry_after: str | None = None):
    async def handler(_: web.Request) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after else {}
        return web.Response(status=status, headers=headers)

    return handler


async def test_503_with_retry_after_seconds_is_honoured(server, settings, published):
    settings = settings.model_copy(update={"backoff_base_s": 1.0})
    url = server.add("/busy", failing(503, "120"))
    async with Ingestor(settings, published) as ingestor:
        now = time.time()
        result = await ingestor.refresh(FeedConfig(url=url))
    assert (result.status, result.kind) == ("error", "unavailable")
    assert 119 <= result.next_poll - now <= 125


async def test_429_with_an_http_date_and_backoff_doubles(server, settings, published):
    settings = settings.model_copy(update={"backoff_base_s": 10.0})
    when = formatdate(time.time() + 600, usegmt=True)
    limited = server.add("/limited", failing(429, when))
    broken = server.add("/broken", failing(500))
    async with Ingestor(settings, published) as ingestor:
        now = time.time()
        result = await ingestor.refresh(FeedConfig(url=limited))
        assert result.kind == "rate_limited" and 595 <= result.next_poll - now <= 605
        waits = []
        for _ in range(3):
            now = time.time()
            waits.append((await ingestor.refresh(FeedConfig(url=broken))).next_poll - now)
    for n, wait in enumerate(waits):
        backoff = 10.0 * 2**n
        assert backoff / 2 - 0.5 <= wait <= backoff + 0.5, waits


async def test_a_feed_that_keeps_failing_is_parked_with_a_metric(server, settings, published):
    settings = settings.model_copy(update={"park_after_failures": 3, "park_interval_s": 7200.0})
    url = server.add("/dead", failing(500))
    async with Ingestor(settings, published) as ingestor:
        results = [await ingestor.refresh(FeedConfig(url=url)) for _ in range(3)]
        assert [r.parked for r in results] == [False, False, True]
        assert metric("wirewatch_ingest_parked_feeds") == 1
        now = time.time()
        assert 7190 <= results[-1].next_poll - now <= 7200
        server.static("/dead", rss(item(1)))  # the feed comes back
        revived = await ingestor.refresh(FeedConfig(url=url))
    assert revived.status == "ok" and not revived.parked
    assert metric("wirewatch_ingest_parked_feeds") == 0


async def test_feeds_added_and_removed_while_running(server, settings, published):
    a = server.static("/a", rss(item(1)))
    b = server.static("/b", rss(item(2)))
    settings.feeds_file.write_text(f"feeds:\n  - {a}\n")
    ingestor = Ingestor(settings, published)
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run(stop))
    try:
        await wait_for(lambda: len(published.articles) == 1, 5, "feed A's article", every=0.02)
        settings.feeds_file.write_text(f"feeds:\n  - url: {b}\n    name: B\n")
        await wait_for(lambda: len(published.articles) == 2, 5, "feed B's article", every=0.02)
        with capture_logs() as logs:
            settings.feeds_file.write_text("feeds: [")  # broken: the old list is kept
            await wait_for(
                lambda: any(e["event"] == "feeds_file_invalid" for e in logs),
                5,
                "the broken feeds file to be read",
                every=0.02,
            )
        assert {e["kept"] for e in logs if e["event"] == "feeds_file_invalid"} == {1}
        assert ingestor.ready()
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert [(x.title, x.source) for x in published.articles] == [
        ("Article 1", "T"),
        ("Article 2", "B"),
    ]
    assert server.hits["/a"] == 1


async def test_per_feed_interval_override(server, settings, published):
    fast = server.static("/fast", rss(item(1)), etag='"same"')
    slow = server.static("/slow", rss(item(2)), etag='"same"')
    settings.feeds_file.write_text(f"feeds:\n  - url: {fast}\n    interval: 0.2\n  - {slow}\n")
    ingestor = Ingestor(settings, published)
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run(stop))
    try:
        await wait_for(lambda: server.hits["/fast"] >= 4, 5, "four polls of /fast", every=0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert server.hits["/slow"] == 1  # default interval (minutes): polled once
    assert len(published.articles) == 2


async def test_state_file_location(settings, ingestor):
    path = default_path(settings.data_dir)
    assert path == settings.data_dir / "ingest" / "state.sqlite3"
    assert path.exists()
    IngestState(path).close()
