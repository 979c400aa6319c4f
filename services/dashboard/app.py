"""The dashboard shell: story updates, alerts, retries and dead letters in, read models
updated (``views.Dashboard``), served as one page (``page.PAGE``) and its JSON views; the
page's query preview and "create subscription" are passed to the alerting worker's API
(``WIREWATCH_ALERTING_URL``, by default ``http://127.0.0.1:WIREWATCH_ALERTING_PORT``).

It runs as its own consumer group and reads both topics from the earliest retained
offset, so a restarted dashboard rebuilds its view. One worker sees every partition:
run a single replica (two would each show half the stories)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import faust
import structlog
from pydantic import ValidationError

from services.dashboard import metrics
from services.dashboard.page import PAGE
from services.dashboard.views import Dashboard, StoryBoard
from shared import topics
from shared.records import Alert, DeadLetter, RetryEnvelope, StoryUpdate
from shared.settings import Settings
from shared.streaming import decoded, make_app, topic

log = structlog.get_logger(__name__)

MAX_BODY = 64 * 1024  # as the alerting API's

MAX_HOURS = 24.0


def hours_param(raw: str | None, default: float = 6.0) -> float:
    """``?hours=`` as a number of hours within (0, 24]; anything else is the default."""
    try:
        hours = float(raw) if raw is not None else default
    except ValueError:
        return default
    return min(hours, MAX_HOURS) if hours > 0 else default


def build(settings: Settings) -> faust.App:
    app = make_app("dashboard", settings, settings.dashboard_port)
    story_updates = topic(app, topics.STORY_UPDATES)
    alerts = topic(app, topics.ALERTS)
    retries = topic(app, topics.ALERTS_RETRY)
    dlq = topic(app, topics.DEAD_LETTERS)
    dead_letters = app.topic(
        topics.DEAD_LETTERS.name,
        partitions=topics.DEAD_LETTERS.partitions,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    board = Dashboard(
        stories=StoryBoard(dormant_after=timedelta(seconds=settings.story_dormant_after_s))
    )
    pairs = metrics.PairLabels()

    @app.agent(story_updates)
    async def read_updates(stream: faust.StreamT) -> None:
        async for _, update in decoded(stream, StoryUpdate, dlq):
            now = datetime.now(UTC)
            if board.apply_update(update, now):
                tagged = update.article
                metrics.observe_article(pairs, tagged.entities, tagged.article.fetched, now)

    @app.agent(alerts)
    async def read_alerts(stream: faust.StreamT) -> None:
        async for _, alert in decoded(stream, Alert, dlq):
            board.apply_alert(alert)

    @app.agent(retries)
    async def read_retries(stream: faust.StreamT) -> None:
        async for _, envelope in decoded(stream, RetryEnvelope, dlq):
            board.apply_retry(envelope)

    # the dead letters are read, never written back to (a letter that does not decode
    # is skipped, not dead-lettered again)
    @app.agent(dead_letters)
    async def read_dead_letters(stream: faust.StreamT) -> None:
        async for event in stream.events():
            try:
                letter = DeadLetter.loads(event.value)
            except ValidationError:
                continue
            board.apply_dead_letter(letter)

    @app.page("/api/stories/{story_id}")
    async def api_story(web: Any, request: Any, story_id: str) -> Any:
        detail = board.stories.detail(story_id)
        if detail is None:
            return web.json({"error": f"no live story {story_id!r}"}, status=404)
        return web.json(detail)

    alerting_api = (settings.alerting_url or f"http://127.0.0.1:{settings.alerting_port}").rstrip(
        "/"
    )

    async def forward(request: Any, path: str) -> tuple[int, Any]:
        """The page's preview and create, passed to the alerting worker's API (the page
        talks to one origin). The bearer token, if any, is passed on, never kept."""
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return 413, {"error": f"body larger than {MAX_BODY} bytes"}
        headers = {"content-type": "application/json"}
        if "Authorization" in request.headers:
            headers["Authorization"] = request.headers["Authorization"]
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.post(alerting_api + path, data=body, headers=headers) as resp,
            ):
                return resp.status, await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return 502, {"error": f"cannot reach the alerting service at {alerting_api}: {exc}"}

    class Preview(faust.web.View):
        async def post(self, request: Any) -> Any:
            status, answer = await forward(request, "/subscriptions/preview")
            return self.json(answer, status=status)

    class Subscribe(faust.web.View):
        async def post(self, request: Any) -> Any:
            status, answer = await forward(request, "/subscriptions")
            return self.json(answer, status=status)

    app.page("/api/preview")(Preview)
    app.page("/api/subscriptions")(Subscribe)

    @app.page("/")
    async def index(web: Any, request: Any) -> Any:
        return web.html(PAGE, headers={"Cache-Control": "no-cache"})

    @app.page("/api/stories")
    async def api_stories(web: Any, request: Any) -> Any:
        board.stories.expire(datetime.now(UTC))
        stories = board.stories.latest(limit=100)
        return web.json({"count": len(board.stories), "stories": [s.to_json() for s in stories]})

    @app.page("/api/mentions")
    async def api_mentions(web: Any, request: Any) -> Any:
        hours = hours_param(request.query.get("hours"))
        series = board.mentions.series(datetime.now(UTC), hours)
        return web.json({"hours": hours, **series.to_json()})

    @app.page("/api/alerts")
    async def api_alerts(web: Any, request: Any) -> Any:
        return web.json({"alerts": [a.to_json() for a in board.alerts.latest()]})

    return app
