"""Digest mode: a subscription with ``mode: digest`` gets one message per window of
``digest_minutes`` listing every story that alerted in it, instead of one alert each.

Windows are ``seconds`` long (``digest_minutes`` × ``WIREWATCH_DIGEST_UNIT_S``, 60 unless
a test shortens it) and aligned to the Unix epoch (a 60-minute digest closes on the hour).
The state of a subscription's open window is a plain JSON mapping (it lives in a Faust
table, so a restarted worker recovers it): ``{"window": ISO start, "seconds": n,
"partition": p, "alerts": {story id: alert}}`` — one entry per story, its latest alert.
A digest's id (subscription × window start) is its idempotency key.

Pure: the caller hands in ``now``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.records import Alert, Digest

__all__ = ["State", "add", "build", "digest_id", "due", "window_start"]

State = dict[str, Any]


def window_start(now: datetime, seconds: float) -> datetime:
    return datetime.fromtimestamp(now.timestamp() // seconds * seconds, UTC)


def digest_id(sub_id: str, start: datetime) -> str:
    key = f"{sub_id}:{start.astimezone(UTC).isoformat()}"
    return f"dgst_{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def add(
    state: State | None, alert: Alert, *, seconds: float, partition: int, now: datetime
) -> tuple[State, Digest | None]:
    """Add ``alert`` to its subscription's open window. If the stored window is already
    over (the tick that should have closed it has not come yet), it is closed first and
    returned as a digest to send."""
    start = window_start(now, seconds).isoformat()
    flushed = None
    if state is not None and state["window"] != start:
        flushed = build(alert.subscription, state, now)
        state = None
    alerts = dict(state["alerts"]) if state else {}
    alerts[alert.story_id] = alert.model_dump(mode="json")
    window = state["window"] if state else start
    used = state["seconds"] if state else seconds
    return {"window": window, "seconds": used, "partition": partition, "alerts": alerts}, flushed


def due(state: State, now: datetime) -> bool:
    end = datetime.fromisoformat(state["window"]) + timedelta(seconds=state["seconds"])
    return now >= end


def build(sub_id: str, state: State, now: datetime) -> Digest:
    start = datetime.fromisoformat(state["window"])
    alerts = sorted(
        (Alert.model_validate(a) for a in state["alerts"].values()),
        key=lambda a: (a.created, a.story_id),
    )
    return Digest(
        id=digest_id(sub_id, start),
        subscription=sub_id,
        window_start=start,
        window_end=start + timedelta(seconds=state["seconds"]),
        alerts=tuple(alerts),
        created=now,
    )
