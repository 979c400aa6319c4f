"""The dashboard shell: story updates and alerts in, read models updated
(``views.Dashboard``), served as one page (``page.PAGE``) and three JSON views.

It runs as its own consumer group and reads both topics from the earliest retained
offset, so a restarted dashboard rebuilds its view. One worker sees every partition:
run a single replica (two would each show half the stories)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import structlog

from services.dashboard import metrics
from services.dashboard.page import PAGE
from services.dashboard.views import Dashboard, StoryBoard
from shared import topics
from shared.records import Alert, StoryUpdate
from shared.settings import Settings
from shared.streaming import decoded, make_app, topic

log = structlog.get_logger(__name__)

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
    dlq = topic(app, topics.DEAD_LETTERS)
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
