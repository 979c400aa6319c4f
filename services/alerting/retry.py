"""The delivery schedule: what an answer means, and how long to wait before trying again.

``classify``: 2xx is delivered; 408, 429, 5xx and network errors (``None``) are worth a
retry; every other status is final (3xx too: redirects are never followed, a webhook
URL that redirects is misconfigured). A receiver's ``Retry-After`` is read by
``shared.backoff.retry_after``; the wait is at least that long.

``scheduled_wait`` is the long-horizon schedule the retry topic uses (as Stripe and Svix
do): failed attempt ``n`` waits ``schedule[n-1]`` (the last entry repeats) with ± a
``jitter`` fraction, but at least the receiver's ``Retry-After`` up to a cap.
``attempts_left`` says whether another attempt is allowed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

__all__ = ["attempts_left", "classify", "scheduled_wait"]

Status = Literal["ok", "retry", "final"]
_RETRY = frozenset({408, 429})


def scheduled_wait(
    attempt: int,
    schedule: Sequence[float],
    *,
    jitter: float,
    rng: random.Random,
    retry_after: float | None = None,
    retry_after_cap: float = 3600.0,
) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based) on a fixed schedule."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, not {attempt}")
    if not schedule:
        raise ValueError("the schedule is empty")
    base = schedule[min(attempt, len(schedule)) - 1]
    wait = base * (1.0 + rng.uniform(-jitter, jitter)) if jitter else base
    asked = min(retry_after, retry_after_cap) if retry_after is not None else 0.0
    return max(wait, asked, 0.0)


def attempts_left(attempt: int, max_attempts: int) -> bool:
    """True if failed attempt ``attempt`` may be followed by another one."""
    return attempt < max_attempts


def classify(status: int | None) -> Status:
    if status is None:
        return "retry"
    if 200 <= status < 300:
        return "ok"
    if status in _RETRY or 500 <= status < 600:
        return "retry"
    return "final"
