"""Delivering one alert: send through its channel, retry transient failures with
exponential backoff and jitter (honouring Retry-After), give up on final answers.
Returns the final outcome; the caller dead-letters what was not delivered."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import httpx
import structlog

from services.alerting import channels, metrics, retry
from services.alerting.subscriptions import Subscription
from shared.records import Alert

log = structlog.get_logger(__name__)


async def deliver(
    alert: Alert,
    sub: Subscription,
    *,
    http: httpx.AsyncClient,
    allow_hosts: Sequence[str],
    smtp: channels.SmtpSettings | None,
    attempts: int,
    backoff_base: float,
    backoff_cap: float = 3600.0,
    timeout: float,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> channels.Outcome:
    rng = rng or random.Random()
    kind = sub.channel.type
    outcome = channels.Outcome("retry", "not attempted")
    for attempt in range(1, attempts + 1):
        outcome = await channels.send(
            alert, sub, http=http, allow_hosts=allow_hosts, smtp=smtp, timeout=timeout
        )
        metrics.ATTEMPTS.labels(channel=kind, result=outcome.status).inc()
        if outcome.status == "ok":
            metrics.ALERTS.labels(channel=kind, outcome="delivered").inc()
            metrics.LATENCY.observe(max(0.0, (datetime.now(UTC) - alert.fetched).total_seconds()))
            log.info("alert_delivered", alert=alert.id, subscription=sub.id, attempt=attempt)
            return outcome
        if outcome.status == "final" or attempt == attempts:
            break
        wait = max(
            retry.backoff(attempt, base=backoff_base, cap=backoff_cap, rng=rng),
            outcome.retry_after or 0.0,
        )
        log.warning(
            "alert_retry",
            alert=alert.id,
            subscription=sub.id,
            attempt=attempt,
            detail=outcome.detail,
            wait_s=round(wait, 3),
        )
        await sleep(wait)
    metrics.ALERTS.labels(channel=kind, outcome="failed").inc()
    log.error("alert_undeliverable", alert=alert.id, subscription=sub.id, detail=outcome.detail)
    return outcome
