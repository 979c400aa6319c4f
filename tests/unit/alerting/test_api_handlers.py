"""The subscriptions API handlers over a real store; ``publish`` applies the change to the
store as the topic consumer would (or not at all, to see the 202 answer)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from services.alerting.api import MASK, ROUTES, ApiRequest, ApiResponse, SubscriptionsApi
from services.alerting.store import SubscriptionStore
from services.alerting.subscriptions import validate
from shared.records import SubscriptionChange
from tests.support.records import SECRET, make_sub_dict, make_update

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FILE = Path("/etc/wirewatch/subscriptions.yaml")
ROUTE = {r.handler: r for r in ROUTES}


class World:
    def __init__(self, tokens: list[str] | None = None, applies: bool = True) -> None:
        self.store = SubscriptionStore(FILE, [validate(make_sub_dict("from-file"))])
        self.published: list[tuple[str, SubscriptionChange | None]] = []
        self.applies = applies
        self.api = SubscriptionsApi(
            self.store,
            self.publish,
            [SecretStr(t) for t in (tokens if tokens is not None else [TOKEN])],
            lambda: datetime(2026, 1, 1, tzinfo=UTC),
        )

    async def publish(self, sub_id: str, change: SubscriptionChange | None) -> bool:
        self.published.append((sub_id, change))
        if self.applies:
            raw = None if change is None else change.subscription
            self.store.apply(len(self.published), sub_id, raw)
        return self.applies

    async def call(
        self,
        handler: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        **params: str,
    ) -> ApiResponse:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        route = ROUTE[handler]
        request = ApiRequest(route.method, params, AUTH if headers is None else headers, data)
        return await self.api.handle(route, request)


@pytest.fixture
def world() -> World:
    return World()


async def test_create_read_list_masks_secrets(world: World) -> None:
    r = await world.call("create", make_sub_dict("desk"))
    assert r.status == 201
    assert r.body["applied"] is True
    assert r.body["channel"]["secret"] == MASK
    assert SECRET not in json.dumps(r.body)
    # the topic record carries the secret, so every worker can sign
    ((sub_id, change),) = world.published
    assert sub_id == "desk"
    assert change is not None and change.subscription["channel"]["secret"] == SECRET
    listed = (await world.call("list")).body["subscriptions"]
    assert [(s["id"], s["source"]) for s in listed] == [("desk", "api"), ("from-file", "file")]
    assert (await world.call("read", sub_id="desk")).body["id"] == "desk"
    assert (await world.call("read", sub_id="nope")).status == 404


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "authentication required: send 'Authorization: Bearer <token>'"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, 401, "use the Bearer scheme"),
        ({"Authorization": "Bearer "}, 401, "use the Bearer scheme"),
        ({"Authorization": "Bearer wrong"}, 401, "invalid token"),
        ({"authorization": f"bearer {TOKEN}x"}, 401, "invalid token"),
    ],
)
async def test_unauthenticated_writes_are_refused(
    world: World, headers: dict[str, str], status: int, message: str
) -> None:
    for handler, params in [("create", {}), ("delete", {"sub_id": "from-file"})]:
        r = await world.call(handler, make_sub_dict("desk"), headers=headers, **params)
        assert r.status == status
        assert message in r.body["error"]
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert world.published == []


async def test_lower_case_bearer_and_header_work(world: World) -> None:
    r = await world.call(
        "create", make_sub_dict("desk"), headers={"authorization": f"bearer {TOKEN}"}
    )
    assert r.status == 201


async def test_no_tokens_configured_refuses_every_write() -> None:
    world = World(tokens=[])
    r = await world.call("create", make_sub_dict("desk"))
    assert r.status == 403
    assert "WIREWATCH_API_TOKENS" in r.body["error"]
    assert (await world.call("list")).status == 200  # reads stay open
    assert world.published == []


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{", "body is not valid JSON"),
        (b"[1, 2]", "body must be a JSON object"),
        (b"\xff\xfe", "body is not valid JSON"),
    ],
)
async def test_malformed_bodies_are_422(world: World, raw: bytes, error: str) -> None:
    r = await world.call("create", raw=raw)
    assert r.status == 422
    assert r.body["error"].startswith(error)
    assert world.published == []


async def test_query_errors_name_field_and_position(world: World) -> None:
    r = await world.call("create", make_sub_dict("desk", query="@elon_musk OR"))
    assert r.status == 422
    assert r.body["problems"] == [
        {"field": "query", "message": "expected a term, found end of query", "position": 13}
    ]
    assert r.body["error"] == (
        "invalid subscription: field 'query': expected a term, found end of query at position 13"
    )


async def test_field_errors_are_listed(world: World) -> None:
    bad = make_sub_dict("Not A Slug", mode="digest")
    bad["channel"] = {"type": "webhook", "url": "ftp://x", "secret": "nope"}
    r = await world.call("create", bad)
    assert r.status == 422
    fields = {p["field"] for p in r.body["problems"]}
    assert fields == {"id", "channel.url", "channel.secret", "digest_minutes"}
    assert world.published == []


async def test_file_managed_ids_are_read_only(world: World) -> None:
    for handler, body in [
        ("replace", make_sub_dict("from-file")),
        ("patch", {"paused": True}),
        ("pause", None),
        ("delete", None),
    ]:
        r = await world.call(handler, body, sub_id="from-file")
        assert r.status == 409
        assert str(FILE) in r.body["error"]
    r = await world.call("create", make_sub_dict("from-file"))
    assert r.status == 409 and str(FILE) in r.body["error"]
    assert world.published == []


async def test_update_patch_pause_resume_delete(world: World) -> None:
    await world.call("create", make_sub_dict("desk"))
    r = await world.call(
        "patch", {"query": "@sam_altman", "updates": {"every_articles": 4}}, sub_id="desk"
    )
    assert (r.status, r.body["query"], r.body["updates"]["every_articles"]) == (
        200,
        "@sam_altman",
        4,
    )
    stored = world.store.get("desk")
    assert stored is not None
    assert stored.channel.secret.get_secret_value() == SECRET  # masked value kept the secret
    r = await world.call("pause", sub_id="desk")
    assert r.body["paused"] is True
    assert world.store.index.match(make_update(entities=("sam_altman",))) == []  # paused
    assert (await world.call("resume", sub_id="desk")).body["paused"] is False
    replacement = {**make_sub_dict("desk", query="@openai"), "id": "other"}
    r = await world.call("replace", replacement, sub_id="desk")
    assert r.status == 422 and "differs" in r.body["error"]
    r = await world.call("replace", make_sub_dict("desk", query="@openai"), sub_id="desk")
    assert (r.status, r.body["query"]) == (200, "@openai")
    r = await world.call("delete", sub_id="desk")
    assert (r.status, r.body) == (200, {"id": "desk", "deleted": True, "applied": True})
    assert world.store.get("desk") is None
    assert world.published[-1] == ("desk", None)  # a tombstone
    assert (await world.call("delete", sub_id="desk")).status == 404


async def test_not_applied_in_time_says_so() -> None:
    world = World(applies=False)
    r = await world.call("create", make_sub_dict("desk"))
    assert r.status == 202
    assert r.body["applied"] is False
    assert "not applied" in r.body["detail"]


async def test_body_size_is_capped(world: World) -> None:
    r = await world.call("create", raw=b"{" + b" " * 70_000 + b"}")
    assert r.status == 413


def test_patch_with_null_removes_a_field(sub_dict: Callable[..., dict[str, Any]]) -> None:
    from services.alerting.api import _merge_patch  # noqa: PLC0415 - the helper itself

    assert _merge_patch({"a": 1, "b": {"c": 2}}, {"a": None, "b": {"d": 3}}) == {
        "b": {"c": 2, "d": 3}
    }
