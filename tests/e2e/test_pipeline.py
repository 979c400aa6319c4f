"""The whole pipeline as an operator runs it: the real broker, the seed articles served as
an RSS feed on loopback, ingest → tagger → stories → alerting as separate processes with
their production commands, and a loopback webhook receiver."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.alerting.signing import new_secret
from services.ingest.replay import load_seeds
from shared.broker import EmbeddedBroker, free_port
from shared.settings import ROOT
from tests.support.feeds import feed_app, rss, serve
from tests.support.kafka import read_articles
from tests.support.receivers import Receiver
from tests.support.records import webhook_subscription
from tests.support.services import processes, scrape, service_env, start_all
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SEED = "https://seeds.wirewatch.invalid/000-musk-altman-roadster"
UNRELATED = (
    "https://seeds.wirewatch.invalid/003-mazda-mx5",
    "https://seeds.wirewatch.invalid/004-bundesbank",
    "https://seeds.wirewatch.invalid/005-robert-altman",
)
FOUR = {"elon_musk", "sam_altman", "openai", "tesla_roadster"}


async def test_seed_article_becomes_one_alert(broker: EmbeddedBroker, tmp_path: Path) -> None:
    seeds = load_seeds(ROOT / "seeds")
    feed_port = free_port()
    receiver = await Receiver(new_secret()).start()
    hits: list[str] = []
    runner, _ = await serve(feed_app(rss(seeds), hits), feed_port)
    (tmp_path / "feeds.yaml").write_text(
        yaml.safe_dump(
            {"feeds": [{"url": f"http://127.0.0.1:{feed_port}/seeds.rss", "name": "Seeds"}]}
        )
    )
    subs = [webhook_subscription("musk-and-altman", "@elon_musk AND @sam_altman",
                                 receiver.url, receiver.secret)]  # fmt: skip
    (tmp_path / "subscriptions.yaml").write_text(yaml.safe_dump({"subscriptions": subs}))
    env = service_env(
        broker.bootstrap,
        tmp_path,
        subscriptions=tmp_path / "subscriptions.yaml",
        feeds=tmp_path / "feeds.yaml",
    )
    procs = list(processes(("tagger", "stories", "alerting", "ingest"), env, tmp_path).values())
    try:
        await start_all(procs)
        alerting = procs[2]

        def received() -> list[tuple[dict[str, str], dict[str, Any]]]:
            return [(headers, body["data"]) for _, headers, body in receiver.got]

        def updates_seen() -> float:
            return scrape(alerting.url("/metrics")).get(
                ("wirewatch_alerting_story_updates_total", ()), 0.0
            )

        await wait_for(lambda: updates_seen() >= len(seeds), 90, "all seeds to reach alerting")
        await wait_for(
            lambda: any(b["article"]["url"] == SEED for _, b in received()),
            30,
            lambda: f"the seed's alert (received: {[b['article']['url'] for _, b in received()]})",
        )
        await asyncio.sleep(1.0)  # let any wrong extra alert arrive before asserting there is none
        articles = await read_articles(broker.bootstrap, len(seeds))
        tagger_metrics = scrape(procs[0].url("/metrics"))
        alerts = received()
    finally:
        for proc in procs:
            proc.stop()
        await runner.cleanup()
        await receiver.stop()

    assert hits, "ingest never fetched the feed"
    assert len(articles) == len(seeds)
    seed_alerts = [(h, b) for h, b in alerts if b["article"]["url"] == SEED]
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
    assert not [b for _, b in alerts if b["article"]["url"] in UNRELATED]
    for entity in FOUR:
        assert tagger_metrics[("wirewatch_mentions_total", (("entity", entity),))] >= 1
