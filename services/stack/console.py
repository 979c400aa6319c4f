"""The built-in console subscriber of ``make run``: a loopback webhook receiver that
verifies each alert's Standard Webhooks signature and prints one line per alert."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from services.alerting.signing import InvalidSignature, verify


def line(body: dict[str, Any]) -> str:
    data = body.get("data", {})
    story = data.get("story", {})
    article = data.get("article", {})
    entities = ", ".join(e.get("entity", "?") for e in data.get("matched", []))
    return (
        f"ALERT {data.get('kind', '?'):<6} {data.get('subscription', '?')}  "
        f"story {story.get('id', '?')} (rev {story.get('revision', '?')}, "
        f"{story.get('size', '?')} articles)  entities: {entities}  "
        f"«{article.get('title', '')}»"
    )


def receiver(secret: str, out: Callable[[str], None]) -> web.Application:
    seen: set[str] = set()

    async def alerts(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            verify(secret, request.headers, raw)
        except InvalidSignature as exc:
            out(f"REJECTED alert with a bad signature: {exc}")
            return web.json_response({"error": str(exc)}, status=401)
        body = json.loads(raw)
        msg_id = request.headers.get("webhook-id", "")
        out(line(body) + ("  (repeat, same idempotency key)" if msg_id in seen else ""))
        seen.add(msg_id)
        return web.json_response({"ok": True})

    app = web.Application()
    app.add_routes([web.post("/alerts", alerts)])
    return app
