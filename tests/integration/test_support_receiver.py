"""tests.support.receivers.Receiver on loopback: a correctly signed alert is taken and
answered as told; a bad signature or a webhook-id that is not the alert's is refused
(400) and counted, so a test that looks at deliveries never sees it."""

from __future__ import annotations

import json
import time

import aiohttp

from services.alerting.signing import headers, new_secret
from tests.support.receivers import Receiver


def signed(secret: str, alert_id: str, body: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {**headers(secret, alert_id, int(time.time()), raw), "Content-Type": "json"}


async def test_signed_alerts_are_taken_others_refused() -> None:
    secret = new_secret()
    receiver = await Receiver(secret, answer=lambda path: 410 if path == "/gone" else 200).start()
    body = {"type": "alert.new", "data": {"id": "al_1", "subscription": "s", "story": {}}}
    try:
        async with aiohttp.ClientSession() as http:
            raw, good = signed(secret, "al_1", body)
            async with http.post(receiver.url, data=raw, headers=good) as r:
                assert r.status == 200
            async with http.post(receiver.url_for("/gone"), data=raw, headers=good) as r:
                assert r.status == 410
            _, forged = signed(new_secret(), "al_1", body)
            async with http.post(receiver.url, data=raw, headers=forged) as r:
                assert r.status == 400
            raw_other, other_id = signed(secret, "al_2", body)  # signed, but not this alert's id
            async with http.post(receiver.url, data=raw_other, headers=other_id) as r:
                assert r.status == 400
    finally:
        await receiver.stop()
    assert receiver.paths == ["/hook", "/gone"]
    assert [(s, b["data"]["id"]) for s, _, b in receiver.got] == [(200, "al_1"), (410, "al_1")]
    assert [b["data"]["id"] for b in receiver.delivered()] == ["al_1"]
    assert receiver.bad_signatures == 2
    assert (receiver.distinct, receiver.duplicates) == (1, 1)
    assert [(d.key, d.path, d.status) for d in receiver.deliveries] == [
        ("al_1", "/hook", 200),
        ("al_1", "/gone", 410),
    ]
