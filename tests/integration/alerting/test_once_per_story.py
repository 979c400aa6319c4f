"""Once per story, through tagger → stories → alerting as processes: the seeds plus
several more articles of the English Roadster story give one ``new`` alert per story
and an ``update`` each time the story grew by ``updates.every_articles`` — not one alert
per article."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from services.ingest.replay import load_seeds
from services.stack.processes import ServiceProcess
from shared.broker import EmbeddedBroker, free_port
from shared.records import Article, StoryUpdate
from shared.settings import ROOT
from tests.support.kafka import publish
from tests.support.receivers import Receiver
from tests.support.records import webhook_subscription
from tests.support.services import Alerting
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
EVERY = 3

# More coverage of seed 001's story (Altman's Roadster refund), from other outlets.
FOLLOW_UPS = [
    (
        "Sam Altman's Tesla Roadster refund: Musk says the deposit came back in a day",
        "Elon Musk said Sam Altman's Tesla Roadster deposit was refunded within 24 hours, "
        "after the OpenAI chief executive posted screenshots of his attempt to cancel the "
        "2018 reservation. Altman said 7.5 years felt like a long time to wait for the car.",
    ),
    (
        "Altman cancels Roadster reservation, Musk fires back on X",
        "OpenAI chief executive Sam Altman cancelled the Tesla Roadster he reserved in 2018 "
        "and asked for his deposit back. Elon Musk replied on X that the refund was issued "
        "within 24 hours and that Altman told only part of the story.",
    ),
    (
        "Musk and Altman feud flares over a Tesla Roadster deposit",
        "The feud between the OpenAI co-founders Elon Musk and Sam Altman flared again over "
        "a Tesla Roadster reservation. Altman posted screenshots of the cancellation; Musk "
        "said the refund had been issued within 24 hours.",
    ),
    (
        "Tesla Roadster still not in production as Altman asks for refund",
        "Sam Altman asked Tesla for the refund of his 2018 Roadster deposit, saying 7.5 "
        "years was a long wait. Elon Musk answered that the refund was issued within 24 "
        "hours. The Roadster, first shown in 2017, has not gone into production.",
    ),
    (
        "Altman's Roadster screenshots draw a reply from Musk",
        "Elon Musk responded to screenshots posted by OpenAI's Sam Altman about cancelling "
        "a Tesla Roadster reservation, saying the deposit was refunded within 24 hours. "
        "Musk, who left OpenAI's board in 2018, has sued the company.",
    ),
    (
        "Roadster refund row: Altman and Musk trade jabs",
        "Sam Altman and Elon Musk traded jabs over Altman's Tesla Roadster reservation. "
        "Altman said he was excited for the car but tired of waiting since 2018; Musk said "
        "the refund was issued within 24 hours.",
    ),
]


def follow_ups(seed: Article) -> list[Article]:
    return [
        seed.model_copy(
            update={
                "id": f"follow_up_{n}",
                "url": f"https://news{n}.example/roadster-refund",
                "title": title,
                "text": text,
                "source": f"Outlet {n}",
                "published": seed.published + timedelta(minutes=10 * (n + 1)),
            }
        )
        for n, (title, text) in enumerate(FOLLOW_UPS)
    ]


async def story_sizes(bootstrap: str) -> dict[str, int]:
    consumer = AIOKafkaConsumer(
        "wirewatch.story-updates", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    sizes: dict[str, int] = {}
    try:
        while batch := await consumer.getmany(timeout_ms=1000):
            for records in batch.values():
                for rec in records:
                    update = StoryUpdate.loads(rec.value)
                    sizes[update.story.id] = max(
                        sizes.get(update.story.id, 0), update.story.article_count
                    )
    finally:
        await consumer.stop()
    return sizes


def alerts_by_story(bodies: list[dict]) -> dict[str, list[tuple[str, int]]]:
    """(kind, story size) of each alert, by story, in size order."""
    by_story: dict[str, list[tuple[str, int]]] = {}
    for body in bodies:
        data = body["data"]
        by_story.setdefault(data["story"]["id"], []).append((data["kind"], data["story"]["size"]))
    return {story_id: sorted(got, key=lambda g: g[1]) for story_id, got in by_story.items()}


def expected_alerts(size: int) -> list[tuple[str, int]]:
    """One new alert, then an update every EVERY articles."""
    return [("new", 1)] + [("update", 1 + EVERY * k) for k in range(1, (size - 1) // EVERY + 1)]


async def test_seeds_and_follow_ups_alert_once_per_story_plus_updates(
    broker: EmbeddedBroker, tmp_path: Path, receiver: Receiver
) -> None:
    seeds = load_seeds(ROOT / "seeds")
    english = next(a for a in seeds if a.url.endswith("001-altman-roadster-refund"))
    articles = [*seeds, *follow_ups(english)]
    subs = [
        webhook_subscription(
            "musk-and-altman",
            "@elon_musk AND @sam_altman",
            receiver.url,
            receiver.secret,
            updates={"every_articles": EVERY},
        )
    ]
    alerting = Alerting(broker, tmp_path, subs)
    others = [
        ServiceProcess(name, alerting.env, free_port(), tmp_path / f"{name}.log")
        for name in ("tagger", "stories")
    ]
    try:
        for proc in others:
            proc.start()
        await alerting.start()
        for proc in others:
            await asyncio.to_thread(proc.wait_ready, 60.0)
        await publish(
            broker.bootstrap, "wirewatch.articles", [(a.id.encode(), a.dumps()) for a in articles]
        )

        def seen() -> int:
            return sum(1 for b in receiver.delivered())

        await wait_for(lambda: seen() >= 2, 60, f"the first alerts\n{alerting.log_tail()}")
        deadline = time.monotonic() + 60
        while sum((sizes := await story_sizes(broker.bootstrap)).values()) < len(articles):
            assert time.monotonic() < deadline, f"not every article reached a story: {sizes}"
            await asyncio.sleep(0.5)
        # every story's alerts so far are what its final size calls for (new + updates)
        await wait_for(
            lambda: (
                bool(alerts_by_story(receiver.delivered()))
                and all(
                    got == expected_alerts(sizes[story_id])
                    for story_id, got in alerts_by_story(receiver.delivered()).items()
                )
            ),
            30,
            f"every story's new alert and updates\n{alerting.log_tail()}",
        )
        await asyncio.sleep(2.0)  # let any wrong extra alert arrive
    finally:
        alerting.stop()
        for proc in others:
            proc.stop()
    bodies = receiver.delivered()
    by_story = alerts_by_story(bodies)
    assert by_story, "no alert at all"
    roadster = max(by_story, key=lambda s: sizes.get(s, 0))
    assert sizes[roadster] >= 1 + len(FOLLOW_UPS), f"follow-ups did not join: {sizes}"
    for story_id, got in by_story.items():
        assert got == expected_alerts(sizes[story_id]), (story_id, sizes[story_id], got)
    assert Counter(b["data"]["id"] for b in bodies).most_common(1)[0][1] == 1
    assert len(bodies) < len(articles)
