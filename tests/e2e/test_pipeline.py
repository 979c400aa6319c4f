"""The whole pipeline as an operator runs it: the real broker, the seed articles served as
an RSS feed on loopback, ingest → tagger → stories → alerting as separate processes with
their production commands, and a loopback webhook receiver."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from services.alerting.signing import new_secret, verify
from services.ingest.replay import load_seeds
from services.stack.processes import ServiceProcess
from shared.broker import EmbeddedBroker, free_port
from shared.records import Article
from shared.settings import ROOT
from tests.e2e.feeds import feed_app, rss

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SEED = "https://seeds.wirewatch.invalid/000-musk-altman-roadster"
UNRELATED = (
    "https://seeds.wirewatch.invalid/003-mazda-mx5",
    "https://seeds.wirewatch.invalid/004-bundesbank",
    "https://seeds.wirewatch.invalid/005-robert-altman",
)
FOUR = {"elon_musk", "sam_altman", "openai", "tesla_roadster"}


async def wait_for(cond: Callable[[], bool], timeout: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout}s waiting for {said}")
        await asyncio.sleep(0.2)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


async def serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def read_articles(bootstrap: str, count: int) -> dict[str, Article]:
    consumer = AIOKafkaConsumer(
        "wirewatch.articles", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: dict[str, Article] = {}
    try:
        deadline = time.monotonic() + 30
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    article = Article.loads(rec.value)
                    found[article.id] = article
    finally:
        await consumer.stop()
    return found


async def test_seed_article_becomes_one_alert(broker: EmbeddedBroker, tmp_path: Path) -> None:
    seeds = load_seeds(ROOT / "seeds")
    feed_port, hook_port = free_port(), free_port()
    secret = new_secret()
    received: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        verify(secret, request.headers, raw)
        received.append((dict(request.headers), json.loads(raw)["data"]))
        return web.json_response({"ok": True})

    hook_app = web.Application()
    hook_app.add_routes([web.post("/hook", hook)])
    hits: list[str] = []
    runners = [
        await serve(feed_app(rss(seeds), hits), feed_port),
        await serve(hook_app, hook_port),
    ]
    (tmp_path / "feeds.yaml").write_text(
        yaml.safe_dump(
            {"feeds": [{"url": f"http://127.0.0.1:{feed_port}/seeds.rss", "name": "Seeds"}]}
        )
    )
    (tmp_path / "subscriptions.yaml").write_text(
        yaml.safe_dump(
            {
                "subscriptions": [
                    {
                        "id": "musk-and-altman",
                        "query": "@elon_musk AND @sam_altman",
                        "channel": {
                            "type": "webhook",
                            "url": f"http://127.0.0.1:{hook_port}/hook",
                            "secret": secret,
                        },
                    }
                ]
            }
        )
    )
    env = {
        "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
        "WIREWATCH_KAFKA_IDEMPOTENCE": "false",
        "WIREWATCH_ALLOW_HOSTS": '["127.0.0.1"]',
        "WIREWATCH_FEEDS_FILE": str(tmp_path / "feeds.yaml"),
        "WIREWATCH_SUBSCRIPTIONS_FILE": str(tmp_path / "subscriptions.yaml"),
        "WIREWATCH_DATA_DIR": str(tmp_path / "var"),
        "WIREWATCH_LOG_FORMAT": "json",
    }
    procs = [
        ServiceProcess(name, env, free_port(), tmp_path / f"{name}.log")
        for name in ("tagger", "stories", "alerting", "ingest")
    ]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            await asyncio.to_thread(proc.wait_ready, 120.0)
        alerting = procs[2]

        def updates_seen() -> float:
            return scrape(alerting.url("/metrics")).get(
                ("wirewatch_alerting_story_updates_total", ()), 0.0
            )

        await wait_for(lambda: updates_seen() >= len(seeds), 90, "all seeds to reach alerting")
        await wait_for(
            lambda: any(b["article"]["url"] == SEED for _, b in received),
            30,
            lambda: f"the seed's alert (received: {[b['article']['url'] for _, b in received]})",
        )
        await asyncio.sleep(1.0)  # let any wrong extra alert arrive before asserting there is none
        articles = await read_articles(broker.bootstrap, len(seeds))
        tagger_metrics = scrape(procs[0].url("/metrics"))
    finally:
        for proc in procs:
            proc.stop()
        for runner in runners:
            await runner.cleanup()

    assert hits, "ingest never fetched the feed"
    assert len(articles) == len(seeds)
    seed_alerts = [(h, b) for h, b in received if b["article"]["url"] == SEED]
    assert len(seed_alerts) == 1, f"expected one alert for the seed, got {len(seed_alerts)}"
    headers, body = seed_alerts[0]
    assert headers["webhook-id"] == body["id"]
    assert body["subscription"] == "musk-and-altman"
    assert body["story"]["id"].startswith("st_")
    article = articles[body["article"]["id"]]
    assert {m["entity"] for m in body["matched"]} == FOUR
    mentions = [m for e in body["matched"] for m in e["mentions"]]
    assert {e["entity"] for e in body["matched"] if e["mentions"]} == FOUR
    for m in mentions:
        field = article.title if m["field"] == "title" else article.text
        assert field[m["start"] : m["end"]] == m["text"], m
    assert not [b for _, b in received if b["article"]["url"] in UNRELATED]
    for entity in FOUR:
        assert tagger_metrics[("wirewatch_mentions_total", (("entity", entity),))] >= 1
