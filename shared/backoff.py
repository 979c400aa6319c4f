"""How long to wait before trying again: exponential backoff, and what a server's
``Retry-After`` asks for. Pure functions; randomness is passed in.

``exponential(n)`` is the ceiling after failed attempt ``n`` (1 = the first attempt
failed): ``base * 2**(n-1)``, at most ``cap``. ``equal_jitter`` waits between half the
ceiling and the ceiling (AWS Architecture Blog, "Exponential Backoff And Jitter"), so a
retry is never much earlier than planned and a crowd of them spreads out.

``retry_after`` reads RFC 9110's ``Retry-After``: delta-seconds or an HTTP-date. An
HTTP-date is always GMT; a date that names no zone is taken as UTC too (it is what the
sender can only have meant), and a date in the past means "now" (0)."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime

__all__ = ["equal_jitter", "exponential", "retry_after"]


def exponential(attempt: int, *, base: float, cap: float) -> float:
    """``base * 2**(attempt-1)`` seconds, at most ``cap``; ``attempt`` starts at 1."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, not {attempt}")
    return cap if attempt > 64 else min(cap, base * 2.0 ** (attempt - 1))


def equal_jitter(attempt: int, *, base: float, cap: float, rand: float) -> float:
    """Between half of ``exponential(attempt)`` and all of it; ``rand`` in [0, 1)."""
    ceiling = exponential(attempt, base=base, cap=cap)
    return ceiling / 2 + rand * ceiling / 2


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` value asks for from ``now`` (a Unix time), never negative;
    None if absent or not one of the two forms."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
