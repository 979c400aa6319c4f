"""Delivery over the retry topic: a receiver that is down for a while gets every alert
once it is up (same idempotency key on every repeat); a receiver answering 410 sends
the alert to the dead-letter topic with the reason, and ``redrive`` delivers it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from services.alerting.signing import new_secret
from shared.broker import EmbeddedBroker
from tests.support.kafka import publish_updates, read_dead_letters
from tests.support.receivers import Receiver
from tests.support.records import fresh_update, webhook_subscription
from tests.support.services import Alerting
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

FAST = {
    "WIREWATCH_DELIVERY_SCHEDULE_S": "[0.3, 0.6, 1.0]",
    "WIREWATCH_DELIVERY_ATTEMPTS": "30",
    "WIREWATCH_DELIVERY_JITTER": "0.1",
}


async def test_receiver_down_then_up_gets_every_alert(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    receiver = Receiver(new_secret())  # not listening yet: connections are refused
    subs = [webhook_subscription("desk", "@elon_musk", receiver.url, receiver.secret)]
    alerting = await Alerting(broker, tmp_path, subs, FAST).start()
    try:
        await publish_updates(broker.bootstrap, [fresh_update(f"st_{n}") for n in range(3)])
        await asyncio.sleep(3.0)  # several attempts fail meanwhile
        assert receiver.got == []
        receiver.status = 503  # up, but failing
        await receiver.start()
        await wait_for(lambda: len(receiver.got) >= 3, 20, "attempts answered 503")
        receiver.status = 200
        await wait_for(
            lambda: (
                {b["data"]["story"]["id"] for b in receiver.delivered()} == {"st_0", "st_1", "st_2"}
            ),
            30,
            f"every alert delivered; log:\n{alerting.log_tail()}",
        )
        await asyncio.sleep(1.0)  # a delivered alert is not attempted again
        dead = await read_dead_letters(broker.bootstrap)
    finally:
        alerting.stop()
        await receiver.stop()
    ids_by_story: dict[str, set[str]] = {}
    for _status, headers, body in receiver.got:
        ids_by_story.setdefault(body["data"]["story"]["id"], set()).add(headers["webhook-id"])
    assert all(len(ids) == 1 for ids in ids_by_story.values()), ids_by_story
    assert len(receiver.delivered()) == 3  # each delivered exactly once
    assert [s for s, _, _ in receiver.got].count(503) >= 3  # the repeats were real
    assert dead == []


async def test_gone_is_dead_lettered_then_redriven(
    broker: EmbeddedBroker, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.status = 410
    subs = [webhook_subscription("desk", "@elon_musk", receiver.url, receiver.secret)]
    alerting = await Alerting(broker, tmp_path, subs, FAST).start()
    try:
        await publish_updates(broker.bootstrap, [fresh_update("st_gone")])
        await wait_for(lambda: len(receiver.got) >= 1, 20, "the first attempt")
        letters: list = []

        async def dead_lettered() -> None:
            for _ in range(40):
                letters[:] = [
                    d
                    for d in await read_dead_letters(broker.bootstrap, 0.5)
                    if "HTTP 410" in d.reason
                ]
                if letters:
                    return
            raise AssertionError("no dead letter for the 410")

        await dead_lettered()
        assert len(receiver.got) == 1  # 410 is final: no retry
        receiver.status = 200
        redrive = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.alerting",
            "redrive",
            env={**os.environ, **alerting.env},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await redrive.communicate()
        assert redrive.returncode == 0, err.decode()
        await wait_for(lambda: len(receiver.delivered()) == 1, 20, "the re-driven alert")
    finally:
        alerting.stop()
    letter = letters[0]
    assert letter.reason.startswith("undeliverable: final answer on attempt 1: HTTP 410")
    first, again = receiver.got[0], receiver.got[1]
    assert first[0] == 410 and again[0] == 200
    assert first[1]["webhook-id"] == again[1]["webhook-id"]
    assert first[2]["data"] == again[2]["data"]
