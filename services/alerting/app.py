"""The alerting shell: story updates in → subscriptions matched → alerts (keyed by
subscription) → delivered through each subscription's channel. What matches is
``subscriptions.SubscriptionIndex``; whether to alert is ``policy.decide``; sending and
retrying is ``delivery.deliver``. Undeliverable alerts go whole to the dead-letter
topic, from where ``python -m services.alerting redrive`` sends them again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import faust
import httpx
import structlog

from services.alerting import delivery, metrics, policy
from services.alerting.subscriptions import SubscriptionIndex, load_file
from shared import topics
from shared.records import Alert, StoryUpdate
from shared.settings import Settings
from shared.streaming import dead_letter, decoded, make_app, topic

log = structlog.get_logger(__name__)


def build(settings: Settings) -> faust.App:
    app = make_app("alerting", settings, settings.alerting_port)
    story_updates = topic(app, topics.STORY_UPDATES)
    alerts = topic(app, topics.ALERTS)
    dlq = topic(app, topics.DEAD_LETTERS)
    sent = app.Table("alerts-sent", default=None, partitions=topics.STORY_UPDATES.partitions)
    index = SubscriptionIndex(load_file(settings.subscriptions_file))
    for mode in ("realtime", "digest"):
        metrics.SUBSCRIPTIONS.labels(mode=mode).set(sum(1 for s in index if s.mode == mode))
    log.info("subscriptions_loaded", count=len(index), path=str(settings.subscriptions_file))

    @app.agent(story_updates)
    async def match(stream: faust.StreamT) -> None:
        async for event, update in decoded(stream, StoryUpdate, dlq):
            metrics.UPDATES_SEEN.inc()
            metrics.ARTICLES_SEEN.labels(lang=update.article.article.lang).inc()
            try:
                raised = []
                for sub in index.match(update):
                    key = f"{sub.id}|{update.story.id}"
                    last = sent.get(key)
                    kind = policy.decide(sub, update.story, policy.Sent(**last) if last else None)
                    if kind is None:
                        continue
                    raised.append(policy.build_alert(sub, update, kind, datetime.now(UTC)))
                    sent[key] = {
                        "revision": update.story.revision,
                        "article_count": update.story.article_count,
                        "source_count": update.story.source_count,
                    }
            except Exception as exc:
                await dead_letter(dlq, event, f"matching failed: {exc!r}")
                continue
            for alert in raised:
                metrics.ALERTS.labels(channel=index_channel(index, alert), outcome="raised").inc()
                await alerts.send(key=alert.subscription.encode(), value=alert.dumps())

    @app.agent(alerts)
    async def deliver(stream: faust.StreamT) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            await _deliver_all(stream, client)

    async def _deliver_all(stream: faust.StreamT, client: httpx.AsyncClient) -> None:
        async for event, alert in decoded(stream, Alert, dlq):
            sub = index.get(alert.subscription)
            if sub is None or sub.paused:
                metrics.ALERTS.labels(channel="none", outcome="dropped").inc()
                log.info("alert_dropped", alert=alert.id, subscription=alert.subscription)
                continue
            outcome = await delivery.deliver(
                alert,
                sub,
                http=client,
                allow_hosts=settings.allow_hosts,
                smtp=None,
                attempts=settings.delivery_attempts,
                backoff_base=settings.delivery_backoff_s,
                timeout=settings.delivery_timeout_s,
            )
            if outcome.status != "ok":
                metrics.ALERTS.labels(channel=sub.channel.type, outcome="dead_lettered").inc()
                await dead_letter(dlq, event, f"undeliverable: {outcome.detail}", whole=True)

    @app.page("/subscriptions")
    async def list_subscriptions(web: Any, request: Any) -> Any:
        return web.json([s.model_dump(mode="json", exclude={"channel"}) for s in index])

    return app


def index_channel(index: SubscriptionIndex, alert: Alert) -> str:
    sub = index.get(alert.subscription)
    return sub.channel.type if sub else "none"
