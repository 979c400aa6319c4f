"""Helpers for alerting as an operator runs it: the real broker (fresh per test), the
alerting worker as a process with its production command, a loopback webhook receiver that verifies
Standard Webhooks signatures, and story updates published on Kafka. No mocks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.alerting.signing import verify
from services.stack.processes import ServiceProcess
from shared.broker import EmbeddedBroker, free_port
from shared.records import DeadLetter, StoryUpdate
from tests.unit.alerting.conftest import make_update as unit_update

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOKEN = "test-token-0123456789"


async def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: verifies every signature, answers ``status``
    (200 unless a test changes it), records what it got."""

    secret: str
    port: int = field(default_factory=free_port)
    status: int = 200
    got: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[dict[str, Any]]:
        """Bodies answered with 2xx."""
        return [b for s, _, b in self.got if 200 <= s < 300]

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        verify(self.secret, request.headers, raw)
        body = json.loads(raw)
        assert request.headers["webhook-id"] == body["data"]["id"]
        self.got.append((self.status, dict(request.headers), body))
        return web.json_response({"ok": self.status < 300}, status=self.status)

    async def start(self) -> Receiver:
        app = web.Application()
        app.add_routes([web.post("/hook", self._hook)])
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


def subscription(sub_id: str, query: str, url: str, secret: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": sub_id,
        "query": query,
        "channel": {"type": "webhook", "url": url, "secret": secret},
        **extra,
    }


@dataclass
class Alerting:
    """The alerting worker process and its environment."""

    broker: EmbeddedBroker
    tmp: Path
    subs: list[dict[str, Any]]
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: ServiceProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            "WIREWATCH_KAFKA_BOOTSTRAP": self.broker.bootstrap,
            "WIREWATCH_KAFKA_IDEMPOTENCE": "false",
            "WIREWATCH_ALLOW_HOSTS": '["127.0.0.1"]',
            "WIREWATCH_SUBSCRIPTIONS_FILE": str(self.tmp / "subscriptions.yaml"),
            "WIREWATCH_DATA_DIR": str(self.tmp / "var"),
            "WIREWATCH_LOG_FORMAT": "json",
            "WIREWATCH_API_TOKENS": json.dumps([TOKEN]),
            "WIREWATCH_ALERTING_TICK_S": "0.2",
            **self.extra_env,
        }

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> Alerting:
        (self.tmp / "subscriptions.yaml").write_text(yaml.safe_dump({"subscriptions": self.subs}))
        self.proc = ServiceProcess("alerting", self.env, self.port, self.tmp / "alerting.log")
        self.proc.start()
        await asyncio.to_thread(self.proc.wait_ready, 60.0)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def log_tail(self) -> str:
        return self.proc.tail(40) if self.proc else ""


def make_update(
    story_id: str,
    *,
    entities: tuple[str, ...] = ("elon_musk", "sam_altman"),
    title: str = "Musk and Altman trade barbs",
    revision: int = 1,
    article_count: int = 1,
) -> StoryUpdate:
    """The unit tests' builder, fetched now (so delivery latency is real)."""
    now = datetime.now(UTC)
    return unit_update(
        entities=entities,
        title=title,
        text=" ".join(entities),
        source="Example News",
        story_id=story_id,
        revision=revision,
        article_count=article_count,
        article_id=f"art_{story_id}_{revision}",
        published=now - timedelta(seconds=1),
        fetched=now,
    )


async def publish(bootstrap: str, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def publish_updates(bootstrap: str, updates: list[StoryUpdate]) -> None:
    await publish(
        bootstrap,
        "wirewatch.story-updates",
        [(u.story.id.encode(), u.dumps()) for u in updates],
    )


async def read_dead_letters(bootstrap: str, timeout: float = 1.0) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(
        "wirewatch.dead-letters", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    out: list[DeadLetter] = []
    try:
        batch = await consumer.getmany(timeout_ms=int(timeout * 1000))
        while batch:
            out += [DeadLetter.loads(r.value) for rs in batch.values() for r in rs]
            batch = await consumer.getmany(timeout_ms=300)
    finally:
        await consumer.stop()
    return out
