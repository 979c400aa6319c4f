"""One delivery attempt and what follows from it, without ever sleeping.

``attempt`` sends an alert (or digest) once through its channel and returns a ``Step``:
delivered; retry (with the ``RetryEnvelope`` to schedule: attempt number, not-before
time from ``retry.scheduled_wait``, honouring ``Retry-After`` up to a cap); or dead (a
final answer, or the last attempt failed) with the reason. The shell schedules the
envelope on the retry topic, or dead-letters the whole alert; nothing waits in a
partition, so a dead endpoint holds up nobody else.

``Pending`` entries (the retry agent's table values) are plain JSON; ``due`` picks the
ones a tick on one partition must attempt now.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiohttp
import structlog

from services.alerting import channels, metrics, retry
from services.alerting.subscriptions import Subscription
from shared.records import Alert, Digest, RetryEnvelope
from shared.settings import Settings

__all__ = ["Pending", "RetryPolicy", "Step", "attempt", "due", "pending_entry", "smtp_settings"]

log = structlog.get_logger(__name__)

Pending = dict[str, Any]


@dataclass(frozen=True)
class RetryPolicy:
    schedule: Sequence[float]
    jitter: float
    attempts: int
    retry_after_cap: float
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            schedule=tuple(settings.delivery_schedule_s),
            jitter=settings.delivery_jitter,
            attempts=settings.delivery_attempts,
            retry_after_cap=settings.delivery_retry_after_cap_s,
            timeout=settings.delivery_timeout_s,
        )


@dataclass(frozen=True)
class Step:
    action: Literal["delivered", "retry", "dead"]
    detail: str
    envelope: RetryEnvelope | None = None


def smtp_settings(settings: Settings) -> channels.SmtpSettings | None:
    """The operator's SMTP relay from the settings (None if no host is configured)."""
    if not settings.smtp_host:
        return None
    password = settings.smtp_password.get_secret_value()
    return channels.SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        username=settings.smtp_username or None,
        password=password or None,
        starttls=settings.smtp_starttls,
        use_tls=settings.smtp_use_tls,
    )


def next_step(
    alert: Alert | Digest,
    number: int,
    outcome: channels.Outcome,
    *,
    policy: RetryPolicy,
    now: datetime,
    rng: random.Random,
) -> Step:
    """What follows attempt ``number`` ending in ``outcome`` (pure)."""
    if outcome.status == "ok":
        return Step("delivered", outcome.detail)
    if outcome.status == "final":
        return Step("dead", f"final answer on attempt {number}: {outcome.detail}")
    if not retry.attempts_left(number, policy.attempts):
        return Step("dead", f"gave up after {number} attempts: {outcome.detail}")
    wait = retry.scheduled_wait(
        number,
        policy.schedule,
        jitter=policy.jitter,
        rng=rng,
        retry_after=outcome.retry_after,
        retry_after_cap=policy.retry_after_cap,
    )
    envelope = RetryEnvelope(
        alert=alert,
        attempt=number + 1,
        not_before=now + timedelta(seconds=wait),
        last_error=outcome.detail,
    )
    return Step("retry", outcome.detail, envelope)


async def attempt(
    alert: Alert | Digest,
    sub: Subscription,
    number: int,
    *,
    http: aiohttp.ClientSession,
    allow_hosts: Sequence[str],
    smtp: channels.SmtpSettings | None,
    policy: RetryPolicy,
    rng: random.Random,
) -> Step:
    """Attempt ``number`` (1-based) to deliver ``alert``; counted and logged."""
    kind = sub.channel.type
    outcome = await channels.send(
        alert, sub, http=http, allow_hosts=allow_hosts, smtp=smtp, timeout=policy.timeout
    )
    now = datetime.now(UTC)
    metrics.ATTEMPTS.labels(channel=kind, result=outcome.status).inc()
    step = next_step(alert, number, outcome, policy=policy, now=now, rng=rng)
    if step.action == "delivered":
        metrics.ALERTS.labels(channel=kind, outcome="delivered").inc()
        if isinstance(alert, Alert):
            metrics.LATENCY.observe(max(0.0, (now - alert.fetched).total_seconds()))
        log.info("alert_delivered", alert=alert.id, subscription=sub.id, attempt=number)
    elif step.action == "retry":
        assert step.envelope is not None
        metrics.RETRIES.labels(channel=kind).inc()
        log.warning(
            "alert_retry_scheduled",
            alert=alert.id,
            subscription=sub.id,
            attempt=number,
            detail=outcome.detail,
            not_before=step.envelope.not_before.isoformat(),
        )
    else:
        metrics.ALERTS.labels(channel=kind, outcome="failed").inc()
        log.error("alert_undeliverable", alert=alert.id, subscription=sub.id, detail=step.detail)
    return step


def pending_entry(envelope: RetryEnvelope, partition: int) -> Pending:
    """The retry agent's table value for ``envelope`` (owned by ``partition``)."""
    return {
        "partition": partition,
        "not_before": envelope.not_before.timestamp(),
        "envelope": envelope.model_dump(mode="json"),
    }


def due(
    entries: Iterable[tuple[str, Pending | None]], partition: int, now: datetime
) -> list[tuple[str, RetryEnvelope]]:
    """The entries of ``partition`` whose not-before time has come, earliest first."""
    limit = now.timestamp()
    out = [
        (key, RetryEnvelope.model_validate(entry["envelope"]))
        for key, entry in entries
        if entry and entry.get("partition") == partition and entry["not_before"] <= limit
    ]
    return sorted(out, key=lambda item: item[1].not_before)
