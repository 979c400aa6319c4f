"""The delivery schedule: what each answer means (backoff and Retry-After are
shared.backoff, tested in tests/unit/test_backoff.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.alerting.retry import classify

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
