"""Metrics every service shares, and the small HTTP server that serves ``/metrics``,
``/health`` and ``/ready`` for the services that are not Faust workers (Faust workers
serve the same paths on their own web server)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    disable_created_metrics,
    generate_latest,
)

disable_created_metrics()  # `_created` series double the scrape size and no dashboard uses them

DEAD_LETTERS = Counter(
    "wirewatch_dead_letters_total",
    "Values sent to the dead-letter topic, by source topic and reason class.",
    ["topic", "reason"],
)


async def _metrics(_: web.Request) -> web.Response:
    return web.Response(
        body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def serve(
    host: str, port: int, ready: Callable[[], bool], routes: list[web.RouteDef] | None = None
) -> web.AppRunner:
    """Serve /metrics, /health (process alive) and /ready (``ready()`` is true)."""

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def is_ready(_: web.Request) -> web.Response:
        ok = ready()
        return web.json_response({"ready": ok}, status=200 if ok else 503)

    app = web.Application()
    app.add_routes(
        [web.get("/metrics", _metrics), web.get("/health", health), web.get("/ready", is_ready)]
        + (routes or [])
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
