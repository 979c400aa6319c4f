"""Digest mode: two stories alerting within one window arrive as one message listing
both; a real-time subscription on the same worker still gets one alert per story."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from shared.broker import EmbeddedBroker
from tests.support.kafka import publish_updates
from tests.support.receivers import Receiver
from tests.support.records import fresh_update, webhook_subscription
from tests.support.services import Alerting
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
UNIT_S = 3.0  # one "digest minute" lasts 3 s here, so a 2-minute digest window is 6 s
WINDOW_S = 2 * UNIT_S


async def test_two_stories_in_one_window_make_one_digest(
    broker: EmbeddedBroker, tmp_path: Path, receiver: Receiver
) -> None:
    subs = [
        webhook_subscription(
            "daily", "@elon_musk", receiver.url, receiver.secret, mode="digest", digest_minutes=2
        ),
        webhook_subscription("live", "@elon_musk", receiver.url, receiver.secret),
    ]
    env = {"WIREWATCH_DIGEST_UNIT_S": str(UNIT_S)}
    alerting = await Alerting(broker, tmp_path, subs, env).start()
    try:
        into_window = time.time() % WINDOW_S
        await asyncio.sleep(WINDOW_S - into_window + 0.3)  # just after a window opened
        await publish_updates(
            broker.bootstrap,
            [fresh_update("st_a", title="Story A"), fresh_update("st_b", title="Story B")],
        )

        def digests() -> list[dict]:
            return [b for b in receiver.delivered() if b["type"] == "alert.digest"]

        def live_stories() -> list[str]:
            return sorted(
                b["data"]["story"]["id"]
                for b in receiver.delivered()
                if b["data"]["subscription"] == "live"
            )

        await wait_for(
            lambda: len(digests()) >= 1 and live_stories() == ["st_a", "st_b"],
            30,
            f"the digest and both live alerts\n{alerting.log_tail()}",
        )
        await asyncio.sleep(WINDOW_S + 1.0)  # no second digest for the same stories
    finally:
        alerting.stop()
    (digest,) = digests()
    data = digest["data"]
    assert data["subscription"] == "daily"
    assert data["id"].startswith("dgst_")
    assert sorted(s["story"]["id"] for s in data["stories"]) == ["st_a", "st_b"]
    assert {s["story"]["headline"] for s in data["stories"]} == {"Story A", "Story B"}
    assert live_stories() == ["st_a", "st_b"]
    assert not [
        b
        for b in receiver.delivered()
        if b["data"].get("kind") in ("new", "update") and b["data"]["subscription"] == "daily"
    ]
