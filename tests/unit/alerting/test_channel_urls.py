"""Channel URLs are refused when a subscription is created or changed, in the API (422
naming the field and the rule) and in the subscription file, by the delivery guard."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from services.alerting.api import ROUTES, ApiRequest, ApiResponse, SubscriptionsApi
from services.alerting.channelcheck import file_problems
from services.alerting.store import SubscriptionStore
from services.alerting.sublog import SubscriptionLog
from services.alerting.subscriptions import SubscriptionError, load_file
from shared.records import SubscriptionChange
from shared.settings import Settings

TOKEN = "t0ken"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ROUTE = {r.handler: r for r in ROUTES}


def body(url: str, sub_id: str = "desk") -> dict[str, Any]:
    return {"id": sub_id, "query": "@openai", "channel": {"type": "webhook", "url": url,
            "secret": SECRET}}  # fmt: skip


class Api:
    def __init__(self, allow: list[str] | None = None) -> None:
        self.store = SubscriptionStore(Path("/etc/wirewatch/subscriptions.yaml"))
        self.published: list[str] = []
        self.api = SubscriptionsApi(
            self.store, self.publish, [SecretStr(TOKEN)], lambda: datetime(2026, 1, 1, tzinfo=UTC),
            allow_hosts=allow or [],
        )  # fmt: skip

    async def publish(self, sub_id: str, change: SubscriptionChange | None) -> bool:
        self.published.append(sub_id)
        self.store.apply(
            len(self.published), sub_id, None if change is None else change.subscription
        )
        return True

    async def call(self, handler: str, doc: Any, **params: str) -> ApiResponse:
        route = ROUTE[handler]
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return await self.api.handle(
            route, ApiRequest(route.method, params, headers, json.dumps(doc).encode())
        )


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
        ("http://10.0.0.7/hook", "10.0.0.7 is a private address"),
        ("http://127.0.0.1:8099/alerts", "127.0.0.1 is a loopback address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://100.64.1.2/", "100.64.1.2 is a shared (CGNAT) address"),
        ("http://169.254.10.10/", "169.254.10.10 is a link-local address"),
    ],
)
async def test_create_refuses_unsafe_webhook_urls_with_field_and_rule(url: str, rule: str) -> None:
    api = Api()
    answer = await api.call("create", body(url))
    assert answer.status == 422
    assert answer.body["error"] == f"invalid subscription: field 'channel.url': {rule}"
    assert answer.body["problems"] == [{"field": "channel.url", "message": rule}]
    assert api.published == [], "a refused subscription is not stored"


async def test_change_to_an_unsafe_url_is_refused_and_the_old_one_kept() -> None:
    api = Api()
    assert (await api.call("create", body("https://hooks.example/ok"))).status == 201
    patch = {"channel": {"url": "http://169.254.169.254/latest"}}
    answer = await api.call("patch", patch, sub_id="desk")
    assert answer.status == 422
    assert "169.254.169.254 is a cloud metadata address" in answer.body["error"]
    replaced = await api.call("replace", body("http://10.1.1.1/x"), sub_id="desk")
    assert replaced.status == 422
    stored = api.store.get("desk")
    assert stored is not None and stored.channel.url == "https://hooks.example/ok"  # type: ignore[union-attr]


async def test_allow_hosts_admits_loopback_and_unresolvable_hosts_are_left_to_delivery() -> None:
    api = Api(allow=["127.0.0.1"])
    assert (await api.call("create", body("http://127.0.0.1:8099/alerts"))).status == 201
    # no answer from DNS now: accepted (delivery resolves again and retries)
    assert (await api.call("create", body("https://nowhere.invalid/x", "other"))).status == 201


async def test_apprise_self_hosted_targets_are_checked() -> None:
    api = Api()
    doc = {
        "id": "ntfy",
        "query": "@openai",
        "channel": {"type": "apprise", "url": "json://10.2.3.4/hook"},
    }
    answer = await api.call("create", doc)
    assert answer.status == 422
    assert answer.body["problems"] == [
        {"field": "channel.url", "message": "10.2.3.4 is a private address"}
    ]


FILE = """subscriptions:
  - id: fine
    query: "@openai"
    channel: {type: webhook, url: "https://hooks.example/x", secret: "SECRET"}
  - id: metadata
    query: "@openai"
    channel: {type: webhook, url: "http://169.254.169.254/latest", secret: "SECRET"}
  - id: lan
    query: "@openai"
    channel: {type: apprise, url: "json://192.168.1.20/notify"}
""".replace("SECRET", SECRET)


def test_the_file_lists_every_refused_channel(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(FILE)
    assert file_problems(load_file(path), []) == [
        "subscription 'metadata': field 'channel.url': 169.254.169.254 is a cloud metadata address",
        "subscription 'lan': field 'channel.url': 192.168.1.20 is a private address",
    ]
    assert file_problems(load_file(path), ["169.254.169.254", "192.168.0.0/16"]) == []


def test_the_service_does_not_start_on_a_file_with_a_refused_channel(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(FILE)
    settings = Settings(kafka_bootstrap="127.0.0.1:9", data_dir=tmp_path, subscriptions_file=path)
    with pytest.raises(SubscriptionError) as refused:
        SubscriptionLog(settings, SubscriptionStore(path, load_file(path)))
    assert (
        "subscription 'metadata': field 'channel.url': 169.254.169.254 is a cloud metadata address"
        in str(refused.value)
    )


def test_a_reloaded_file_with_a_refused_channel_keeps_the_previous_one(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.yaml"
    first = FILE.split("  - id: metadata", maxsplit=1)[0]
    path.write_text(first)
    settings = Settings(kafka_bootstrap="127.0.0.1:9", data_dir=tmp_path, subscriptions_file=path)
    store = SubscriptionStore(path, load_file(path))
    sublog = SubscriptionLog(settings, store)
    path.write_text(FILE)
    sublog.reload_file()
    assert [s.id for s in store] == ["fine"]
