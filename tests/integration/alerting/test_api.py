"""The subscriptions API on a running alerting worker: refused and malformed writes
change nothing; a created subscription raises alerts; a paused one does not; a deleted
one stays deleted after the worker restarts, and an API-created one survives it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.alerting.signing import new_secret
from shared.broker import EmbeddedBroker
from tests.support.kafka import publish_updates
from tests.support.receivers import Receiver
from tests.support.records import fresh_update, webhook_subscription
from tests.support.services import API_TOKEN as TOKEN
from tests.support.services import Alerting
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def ids(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/subscriptions")
    assert response.status_code == 200
    return [s["id"] for s in response.json()["subscriptions"]]


def stories(receiver: Receiver, sub_id: str) -> list[str]:
    bodies = receiver.delivered()
    return [b["data"]["story"]["id"] for b in bodies if b["data"]["subscription"] == sub_id]


async def test_api_writes_are_checked_durable_and_take_effect(
    broker: EmbeddedBroker, tmp_path: Path, receiver: Receiver
) -> None:
    control = webhook_subscription("control", "@elon_musk", receiver.url, receiver.secret)
    alerting = await Alerting(broker, tmp_path, [control]).start()
    new = webhook_subscription(
        "api-desk", "@sam_altman AND @elon_musk", receiver.url, receiver.secret
    )
    try:
        async with httpx.AsyncClient(base_url=alerting.url(""), timeout=15) as client:
            # refused and malformed: clear messages, nothing changes
            r = await client.post("/subscriptions", json=new)
            assert r.status_code == 401
            assert "Bearer" in r.json()["error"]
            assert r.headers["www-authenticate"].startswith("Bearer")
            r = await client.post(
                "/subscriptions", json=new, headers={"Authorization": "Bearer nope"}
            )
            assert (r.status_code, r.json()["error"]) == (401, "invalid token")
            r = await client.post("/subscriptions", content=b"{not json", headers=AUTH)
            assert r.status_code == 422
            assert r.json()["error"].startswith("body is not valid JSON")
            r = await client.post(
                "/subscriptions", json={**new, "query": "@sam_altman AND ("}, headers=AUTH
            )
            assert r.status_code == 422
            (problem,) = r.json()["problems"]
            assert problem == {
                "field": "query",
                "message": "expected a term, found end of query",
                "position": 17,
            }
            r = await client.delete("/subscriptions/control", headers=AUTH)
            assert r.status_code == 409
            assert "subscriptions.yaml" in r.json()["error"]
            assert await ids(client) == ["control"]

            # create: applied before the answer (read-your-writes), secret masked
            r = await client.post("/subscriptions", json=new, headers=AUTH)
            assert r.status_code == 201, r.text
            body: dict[str, Any] = r.json()
            assert body["applied"] is True
            assert body["source"] == "api"
            assert body["channel"]["secret"] == "********"
            assert receiver.secret not in r.text
            assert await ids(client) == ["api-desk", "control"]
            assert (await client.post("/subscriptions", json=new, headers=AUTH)).status_code == 409

            await publish_updates(broker.bootstrap, [fresh_update("st_1")])
            await wait_for(lambda: "st_1" in stories(receiver, "api-desk"), 20, "api alert")

            # pause: the control still alerts, the paused one does not
            r = await client.post("/subscriptions/api-desk/pause", headers=AUTH)
            assert (r.status_code, r.json()["paused"]) == (200, True)
            await publish_updates(broker.bootstrap, [fresh_update("st_2")])
            await wait_for(lambda: "st_2" in stories(receiver, "control"), 20, "control alert")
            await asyncio.sleep(1.0)
            assert "st_2" not in stories(receiver, "api-desk")

            # a second API subscription that must survive the restart
            keep = webhook_subscription("api-keep", "@openai", receiver.url, receiver.secret)
            assert (await client.post("/subscriptions", json=keep, headers=AUTH)).status_code == 201
            r = await client.patch(
                "/subscriptions/api-keep", json={"query": "@openai OR @tesla"}, headers=AUTH
            )
            assert (r.status_code, r.json()["query"]) == (200, "@openai OR @tesla")
            r = await client.delete("/subscriptions/api-desk", headers=AUTH)
            assert r.status_code == 200 and r.json()["deleted"] is True
            assert (await client.get("/subscriptions/api-desk")).status_code == 404

        alerting.stop()
        await alerting.start()  # same broker: the subscriptions topic is still there
        async with httpx.AsyncClient(base_url=alerting.url(""), timeout=15) as client:
            assert await ids(client) == ["api-keep", "control"]
            assert (await client.get("/subscriptions/api-desk")).status_code == 404
            assert (await client.get("/subscriptions/api-keep")).json()[
                "query"
            ] == "@openai OR @tesla"
        await publish_updates(
            broker.bootstrap, [fresh_update("st_3", entities=("openai", "sam_altman"))]
        )
        await wait_for(lambda: "st_3" in stories(receiver, "api-keep"), 20, "kept sub alerts")
    finally:
        alerting.stop()


async def test_every_route_is_in_the_openapi_document(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    receiver = Receiver(new_secret())
    subs = [webhook_subscription("control", "@elon_musk", receiver.url, receiver.secret)]
    alerting = await Alerting(broker, tmp_path, subs, {"WIREWATCH_API_TOKENS": "[]"}).start()
    try:
        async with httpx.AsyncClient(base_url=alerting.url(""), timeout=15) as client:
            doc = (await client.get("/openapi.json")).json()
            assert doc["openapi"].startswith("3.")
            for path, operations in doc["paths"].items():
                for method in operations:
                    url = path.replace("{sub_id}", "control")
                    r = await client.request(method.upper(), url)
                    assert r.status_code not in (404, 405) or "{sub_id}" in path, (method, path)
            # no tokens configured: every write refused with the reason
            r = await client.post("/subscriptions", json=subs[0], headers=AUTH)
            assert r.status_code == 403
            assert "WIREWATCH_API_TOKENS" in r.json()["error"]
    finally:
        alerting.stop()
