"""When to poll a feed next. Pure: the clock (``now``, epoch seconds) and the random
jitter (``rand`` in [0, 1)) are passed in.

- Success: the interval adapts to how often the feed really changes — shorter after
  a poll that found new articles, longer after one that found none — within
  ``[min_interval_s, max_interval_s]``. A per-feed configured interval is fixed.
  Cache-Control ``max-age`` is honoured as a floor (capped at the maximum interval).
- Error: exponential backoff with jitter from ``backoff_base_s``; a 429/503
  Retry-After is honoured as a floor. After ``park_after`` consecutive errors the
  feed is parked and retried only every ``park_interval_s``; one success unparks it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shared.backoff import equal_jitter

__all__ = ["FeedSchedule", "PollPolicy", "after_error", "after_success", "initial"]

_FASTER = 0.5  # interval factor after a poll with new articles
_SLOWER = 1.5  # interval factor after a poll without
_JITTER = 0.1  # ± share of a success interval, spreads feeds over time


@dataclass(frozen=True)
class PollPolicy:
    min_interval_s: float = 60.0
    max_interval_s: float = 6 * 3600.0
    default_interval_s: float = 300.0
    backoff_base_s: float = 60.0
    park_after: int = 8
    park_interval_s: float = 24 * 3600.0


@dataclass(frozen=True)
class FeedSchedule:
    interval_s: float
    next_poll: float
    failures: int = 0
    parked: bool = False


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def initial(policy: PollPolicy, now: float, fixed_interval_s: float | None = None) -> FeedSchedule:
    """A feed never polled before: poll now."""
    interval = fixed_interval_s or _clamp(
        policy.default_interval_s, policy.min_interval_s, policy.max_interval_s
    )
    return FeedSchedule(interval_s=interval, next_poll=now)


def after_success(
    current: FeedSchedule,
    policy: PollPolicy,
    now: float,
    *,
    changed: bool,
    rand: float,
    max_age_s: float | None = None,
    fixed_interval_s: float | None = None,
) -> FeedSchedule:
    if fixed_interval_s is not None:
        interval = fixed_interval_s
        wait = interval
    else:
        factor = _FASTER if changed else _SLOWER
        interval = _clamp(current.interval_s * factor, policy.min_interval_s, policy.max_interval_s)
        wait = interval * (1 - _JITTER + 2 * _JITTER * rand)
    if max_age_s is not None:
        wait = max(wait, min(max_age_s, policy.max_interval_s))
    return FeedSchedule(interval_s=interval, next_poll=now + wait, failures=0, parked=False)


def after_error(
    current: FeedSchedule,
    policy: PollPolicy,
    now: float,
    *,
    rand: float,
    retry_after_s: float | None = None,
) -> FeedSchedule:
    failures = current.failures + 1
    if failures >= policy.park_after:
        wait = policy.park_interval_s
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, 7 * policy.park_interval_s))
        return replace(current, failures=failures, parked=True, next_poll=now + wait)
    ceiling = max(policy.max_interval_s, policy.backoff_base_s)
    wait = equal_jitter(failures, base=policy.backoff_base_s, cap=ceiling, rand=rand)
    if retry_after_s is not None:
        wait = max(wait, min(retry_after_s, policy.park_interval_s))
    return replace(current, failures=failures, parked=False, next_poll=now + wait)
