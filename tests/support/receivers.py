"""A loopback webhook receiver that checks what alerting signs.

Every request's Standard Webhooks signature is verified with ``services.alerting.signing``
and its ``webhook-id`` compared with the alert's id; a request that fails either is
counted in ``bad_signatures`` and answered 400. What it answers otherwise is ``status``
(200 unless a test changes it), or what ``answer(path)`` says."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

from services.alerting.signing import verify
from shared.broker import free_port


class Delivery(NamedTuple):
    """What the receiver keeps of each signed delivery: plain strings and numbers, not
    the body, so a benchmark's garbage collector has little to scan (whole bodies made
    its full collections take up to ~190 ms, which showed up as alert latency)."""

    key: str  # webhook-id, the idempotency key
    at: float  # arrival, time.time()
    path: str
    status: int  # what the receiver answered
    subscription: str
    article: str  # article id ("" in a digest)
    story: str  # story id ("" in a digest)
    revision: int


@dataclass
class Receiver:
    """Webhook receiver on 127.0.0.1 (``url``: ``/hook``; any ``POST /NAME`` is taken).

    ``paths`` holds the path of every signed request and ``got`` its (status answered,
    headers, body), unless ``keep_bodies`` is False (a benchmark's long run);
    ``deliveries`` and ``keys`` (each idempotency key's count) are always kept."""

    secret: str
    port: int = field(default_factory=free_port)
    status: int = 200
    answer: Callable[[str], int] | None = None
    keep_bodies: bool = True
    paths: list[str] = field(default_factory=list)
    got: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    keys: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return self.url_for("/hook")

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def delivered(self) -> list[dict[str, Any]]:
        """Bodies answered with 2xx."""
        return [b for s, _, b in self.got if 200 <= s < 300]

    @property
    def distinct(self) -> int:
        return len(self.keys)

    @property
    def duplicates(self) -> int:
        return sum(self.keys.values()) - len(self.keys)

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        now = time.time()
        try:
            verify(self.secret, request.headers, raw)
            body = json.loads(raw)
            key = request.headers["webhook-id"]
            if key != body["data"]["id"]:
                raise ValueError(f"webhook-id {key!r} is not the alert's id")
        except Exception:
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=400)
        self.paths.append(request.path)
        status = self.answer(request.path) if self.answer else self.status
        data = body["data"]
        self.keys[key] += 1
        self.deliveries.append(
            Delivery(
                key,
                now,
                request.path,
                status,
                data.get("subscription", ""),
                (data.get("article") or {}).get("id", ""),  # a digest has neither
                (data.get("story") or {}).get("id", ""),
                (data.get("story") or {}).get("revision", 0),
            )
        )
        if self.keep_bodies:
            self.got.append((status, dict(request.headers), body))
        return web.json_response({"ok": status < 300}, status=status)

    async def start(self) -> Receiver:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.add_routes([web.post("/{name}", self._hook)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
