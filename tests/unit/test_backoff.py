"""shared.backoff: the exponential ceiling, equal jitter, and Retry-After in both forms
(a date without a zone is UTC)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formatdate

import pytest

from shared.backoff import equal_jitter, exponential, retry_after

NOW = datetime(2025, 11, 25, 12, 0, 0, tzinfo=UTC)
T = NOW.timestamp()


def test_exponential_doubles_then_caps() -> None:
    got = [exponential(n, base=1.0, cap=60.0) for n in (1, 2, 3, 6, 7, 500)]
    assert got == [1.0, 2.0, 4.0, 32.0, 60.0, 60.0]


def test_exponential_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError, match="attempt must be >= 1, not 0"):
        exponential(0, base=1, cap=1)


def test_equal_jitter_spans_half_to_all_of_the_ceiling() -> None:
    rng = random.Random(1)
    for attempt, ceiling in [(1, 60.0), (2, 120.0), (5, 960.0), (9, 3600.0)]:
        waits = [
            equal_jitter(attempt, base=60.0, cap=3600.0, rand=rng.random()) for _ in range(400)
        ]
        assert all(ceiling / 2 <= w < ceiling for w in waits)
        assert min(waits) < 0.55 * ceiling and max(waits) > 0.95 * ceiling
    assert equal_jitter(3, base=1.0, cap=60.0, rand=0.0) == 2.0
    assert equal_jitter(3, base=1.0, cap=60.0, rand=0.5) == 3.0


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
        ("²", None),  # a digit to str.isdigit, not to HTTP
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        (formatdate(T + 300, usegmt=True), 300.0),
        ("Tue, 25 Nov 2025 12:02:00 GMT", 120.0),
        ("Tue, 25 Nov 2025 13:02:00 +0100", 120.0),
        # no zone at all, or RFC 5322's "-0000" (zone unknown): taken as UTC
        ("Tue, 25 Nov 2025 12:02:00", 120.0),
        ("Tue, 25 Nov 2025 12:02:00 -0000", 120.0),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert retry_after(value, T) == expected
