"""The delivery schedule: classification, backoff with full jitter, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from services.alerting.retry import backoff, classify, retry_after

NOW = datetime(2025, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "ok"),
        (201, "ok"),
        (204, "ok"),
        (299, "ok"),
        (None, "retry"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (599, "retry"),
        (301, "final"),
        (302, "final"),
        (307, "final"),
        (400, "final"),
        (401, "final"),
        (404, "final"),
        (410, "final"),
        (413, "final"),
        (100, "final"),
    ],
)
def test_classify(status: int | None, expected: str) -> None:
    assert classify(status) == expected


def test_backoff_bounds_grow_then_cap() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (500, 60.0)]:
        waits = [backoff(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(400)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > 0.9 * ceiling  # full jitter spans the whole range
        assert min(waits) < 0.1 * ceiling


def test_backoff_is_reproducible_with_a_seeded_rng() -> None:
    a = [backoff(n, base=0.5, cap=30, rng=random.Random(3)) for n in range(1, 10)]
    b = [backoff(n, base=0.5, cap=30, rng=random.Random(3)) for n in range(1, 10)]
    assert a == b


def test_backoff_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError, match="attempt must be >= 1, not 0"):
        backoff(0, base=1, cap=1, rng=random.Random())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("-3", None),
        ("soon", None),
        ("1.5", None),
        ("²", None),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        ("Tue, 25 Nov 2025 12:02:00 GMT", 120.0),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after(value, NOW) == expected
