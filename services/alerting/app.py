"""The alerting shell, wiring only:

    story-updates ─► match ─► alerts (key: subscription) ─► deliver ─► channel
                                                     │ (digest mode: digests table)
    alerts-retry ─┐                                  └─ failed: alerts-retry
    ticks ────────┴─► schedule (pending table) ─► due attempts ─► channel | dead letters

What matches is ``store.SubscriptionStore`` (file + the compacted subscriptions topic,
read by ``sublog``); whether to alert is ``once_per_story.decide``; one attempt and what
follows is ``delivery.attempt``; digests are ``digest``; the HTTP API is ``api``. Nothing sleeps
inside an agent: failed attempts are scheduled on the retry topic, kept in a changelogged
table and attempted on a tick when due, so a restart loses none.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import aiohttp
import faust
import structlog

from services.alerting import channels, delivery, digest, metrics, once_per_story
from services.alerting.api import MAX_BODY, ROUTES, ApiRequest, Route, SubscriptionsApi
from services.alerting.openapi import document
from services.alerting.preview import Recent, run_preview
from services.alerting.store import SubscriptionStore
from services.alerting.sublog import SubscriptionLog
from services.alerting.subscriptions import Subscription, load_file
from shared import topics
from shared.metrics import DEAD_LETTERS
from shared.records import Alert, DeadLetter, Digest, RetryEnvelope, StoryUpdate, Tick
from shared.settings import Settings
from shared.streaming import dead_letter, decoded, make_app, topic

log = structlog.get_logger(__name__)
DELIVERY_CONCURRENCY = 8
CONCURRENCY = 16  # due attempts in flight per tick


def now() -> datetime:
    return datetime.now(UTC)


def build(settings: Settings) -> faust.App:
    store = SubscriptionStore(settings.subscriptions_file, load_file(settings.subscriptions_file))
    sublog = SubscriptionLog(settings, store)
    app = make_app(
        "alerting",
        settings,
        settings.alerting_port,
        # match against every subscription, so not ready before the topic was read to its end
        ready_check=lambda: None if sublog.ready.is_set() else "the subscriptions topic",
    )
    story_updates = topic(app, topics.STORY_UPDATES)
    alerts = topic(app, topics.ALERTS)
    retries = topic(app, topics.ALERTS_RETRY)
    ticks = topic(app, topics.ALERTING_TICKS)
    scheduled = app.topic(
        topics.ALERTS_RETRY.name,
        topics.ALERTING_TICKS.name,
        partitions=topics.ALERTS.partitions,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    dlq = topic(app, topics.DEAD_LETTERS)
    parts = topics.ALERTS.partitions
    sent = app.Table("alerts-sent", default=None, partitions=topics.STORY_UPDATES.partitions)
    pending = app.Table("alerts-pending", default=None, partitions=parts)
    digests = app.Table("digests", default=None, partitions=parts)

    retry_policy = delivery.RetryPolicy.from_settings(settings)
    smtp = delivery.smtp_settings(settings)
    rng = random.Random()
    failing: dict[str, datetime] = {}  # subscription -> no inline attempts before this time
    # the story updates of the last day, for POST /subscriptions/preview
    recent = Recent(max_updates=settings.preview_max_updates)
    log.info("subscriptions_loaded", count=len(store), path=str(settings.subscriptions_file))

    app.task(sublog.run)

    @app.timer(settings.subscriptions_reload_s)
    async def reload_file() -> None:
        sublog.reload_file()

    @app.timer(settings.alerting_tick_s)
    async def tick() -> None:
        value = Tick(at=now()).dumps()
        for partition in range(parts):
            await ticks.send(key=None, value=value, partition=partition)

    def channel_of(sub_id: str) -> str:
        sub = store.get(sub_id)
        return sub.channel.type if sub else "none"

    async def dead(
        event: faust.EventT, alert: Alert | Digest, reason: str, kind: str, topic_name: str
    ) -> None:
        """Send the whole alert to the dead-letter topic with ``reason`` (re-drivable)."""
        channel = channel_of(alert.subscription)
        metrics.ALERTS.labels(channel=channel, outcome="dead_lettered").inc()
        metrics.DEAD_LETTERED.labels(channel=channel, reason=kind).inc()
        DEAD_LETTERS.labels(topic=topic_name, reason="undeliverable").inc()
        letter = DeadLetter(
            topic=topic_name,
            partition=event.message.partition,
            offset=event.message.offset,
            reason=f"undeliverable: {reason}"[:2000],
            value=alert.dumps().decode(),
            failed_at=now(),
        )
        log.warning("dead_letter", alert=alert.id, subscription=alert.subscription, reason=reason)
        await dlq.send(key=topic_name.encode(), value=letter.dumps())

    def deliverable(sub_id: str) -> Subscription | None:
        sub = store.get(sub_id)
        if sub is None or sub.paused:
            metrics.ALERTS.labels(channel="none", outcome="dropped").inc()
            why = "deleted" if sub is None else "paused"
            log.info("alert_dropped", subscription=sub_id, reason=why)
            return None
        return sub

    # --- matching ---------------------------------------------------------------------------

    @app.agent(story_updates)
    async def match(stream: faust.StreamT) -> None:
        await sublog.ready.wait()  # match against every subscription, not a partial set
        async for event, update in decoded(stream, StoryUpdate, dlq):
            recent.add(update, now())  # what previews run over
            metrics.UPDATES_SEEN.inc()
            metrics.ARTICLES_SEEN.labels(lang=update.article.article.lang).inc()
            try:
                raised, writes = once_per_story.react(
                    store.index.match(update), update, sent.get, now()
                )
                for key, state in writes.items():
                    sent[key] = state
            except Exception as exc:
                await dead_letter(dlq, event, f"matching failed: {exc!r}")
                continue
            for alert in raised:
                metrics.ALERTS.labels(
                    channel=channel_of(alert.subscription), outcome="raised"
                ).inc()
                await alerts.send(key=alert.subscription.encode(), value=alert.dumps())

    # --- first attempt (or into the digest) -----------------------------------------------------

    async def schedule(envelope: RetryEnvelope) -> None:
        await retries.send(key=envelope.alert.subscription.encode(), value=envelope.dumps())

    # Several deliveries in flight: one slow receiver must not hold up the others, and
    # webhooks are the slowest step (make bench: ~180/s one at a time). Order between
    # alerts is not promised (Standard Webhooks receivers order by timestamp/id).
    @app.agent(alerts, concurrency=DELIVERY_CONCURRENCY)
    async def deliver(stream: faust.StreamT) -> None:
        async with channels.session() as client:
            async for event, alert in decoded(stream, Alert, dlq):
                try:
                    await first_attempt(event, alert, client)
                except Exception as exc:
                    await dead_letter(dlq, event, f"delivery failed: {exc!r}", whole=True)

    async def first_attempt(
        event: faust.EventT, alert: Alert, client: aiohttp.ClientSession
    ) -> None:
        sub = deliverable(alert.subscription)
        if sub is None:
            return
        if sub.mode == "digest" and sub.digest_minutes:
            state, closed = digest.add(
                digests.get(sub.id),
                alert,
                seconds=sub.digest_minutes * settings.digest_unit_s,
                partition=event.message.partition,
                now=now(),
            )
            digests[sub.id] = state
            metrics.ALERTS.labels(channel=sub.channel.type, outcome="digested").inc()
            if closed is not None:
                metrics.DIGESTS.inc()
                await schedule(RetryEnvelope(alert=closed, attempt=1, not_before=now()))
            return
        if failing.get(sub.id, now()) > now():  # its endpoint is failing: queue, do not wait
            await schedule(RetryEnvelope(alert=alert, attempt=1, not_before=failing[sub.id]))
            return
        step = await delivery.attempt(
            alert,
            sub,
            1,
            http=client,
            allow_hosts=settings.allow_hosts,
            smtp=smtp,
            policy=retry_policy,
            rng=rng,
        )
        if step.action == "retry" and step.envelope is not None:
            failing[sub.id] = step.envelope.not_before
            await schedule(step.envelope)
        elif step.action == "dead":
            await dead(event, alert, step.detail, "final", topics.ALERTS.name)
        else:
            failing.pop(sub.id, None)

    # --- retries and digests, on ticks ------------------------------------------------------------

    @app.agent(scheduled)
    async def retry_and_flush(stream: faust.StreamT) -> None:
        async with channels.session() as client:
            async for event in stream.events():
                try:
                    if event.message.topic == topics.ALERTS_RETRY.name:
                        envelope = RetryEnvelope.loads(event.value)
                        entry = delivery.pending_entry(envelope, event.message.partition)
                        pending[envelope.alert.id] = entry
                    else:
                        Tick.loads(event.value)
                        await on_tick(event, client)
                except Exception as exc:
                    await dead_letter(dlq, event, f"scheduling failed: {exc!r}", whole=True)

    async def on_tick(event: faust.EventT, client: aiohttp.ClientSession) -> None:
        partition, at = event.message.partition, now()
        for sub_id, state in list(digests.items()):
            if state and state["partition"] == partition and digest.due(state, at):
                closed = digest.build(sub_id, state, at)
                del digests[sub_id]
                metrics.DIGESTS.inc()
                envelope = RetryEnvelope(alert=closed, attempt=1, not_before=at)
                pending[closed.id] = delivery.pending_entry(envelope, partition)
        due = delivery.due(pending.items(), partition, at)
        metrics.PENDING.set(sum(1 for _, e in pending.items() if e))
        if not due:
            return
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(envelope: RetryEnvelope) -> delivery.Step | None:
            sub = deliverable(envelope.alert.subscription)
            if sub is None:
                return None
            async with limit:
                return await delivery.attempt(
                    envelope.alert,
                    sub,
                    envelope.attempt,
                    http=client,
                    allow_hosts=settings.allow_hosts,
                    smtp=smtp,
                    policy=retry_policy,
                    rng=rng,
                )

        steps = await asyncio.gather(*(one(envelope) for _, envelope in due))
        for (key, envelope), step in zip(due, steps, strict=True):
            sub_id = envelope.alert.subscription
            if step is not None and step.action == "retry" and step.envelope is not None:
                pending[key] = delivery.pending_entry(step.envelope, partition)
                failing[sub_id] = step.envelope.not_before
                continue
            del pending[key]
            if step is not None and step.action == "dead":
                kind = "final" if step.detail.startswith("final") else "exhausted"
                await dead(event, envelope.alert, step.detail, kind, topics.ALERTS_RETRY.name)
            elif step is not None:
                failing.pop(sub_id, None)

    # --- HTTP -----------------------------------------------------------------------------------

    def preview(sub: Subscription, hours: float) -> dict[str, Any]:
        return run_preview(recent, sub, hours, now(), digest_unit_s=settings.digest_unit_s)

    api = SubscriptionsApi(
        store, sublog.publish, settings.api_tokens, now, preview, allow_hosts=settings.allow_hosts
    )

    def view(path: str, routes: list[Route]) -> type[faust.web.View]:
        methods: dict[str, Any] = {}
        for route in routes:

            async def handler(
                self: faust.web.View, request: Any, _route: Route = route, **params: str
            ) -> Any:
                body = await request.content.read(MAX_BODY + 1) if request.can_read_body else b""
                answer = await api.handle(
                    _route, ApiRequest(request.method, params, dict(request.headers), body)
                )
                metrics.API_REQUESTS.labels(
                    operation=_route.handler, status=str(answer.status)
                ).inc()
                return self.json(answer.body, status=answer.status, headers=answer.headers)

            methods[route.method.lower()] = handler
        return type(f"Api{len(path)}", (faust.web.View,), methods)

    by_path: dict[str, list[Route]] = {}
    for route in ROUTES:
        by_path.setdefault(route.path, []).append(route)
    for path, routes in by_path.items():
        app.page(path)(view(path, routes))

    @app.page("/openapi.json")
    async def openapi(web: Any, request: Any) -> Any:
        return web.json(document())

    return app
