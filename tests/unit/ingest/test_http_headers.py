"""Header parsing the scheduler depends on: Cache-Control (Retry-After is
shared.backoff, tested in tests/unit/test_backoff.py)."""

from __future__ import annotations

import pytest

from services.ingest.fetch import parse_max_age


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=600", 600.0),
        ("public, max-age=60, s-maxage=300", 300.0),
        ('max-age="30"', 30.0),
        ("no-cache", 0.0),
        ("private, no-store, max-age=600", 0.0),
        ("public", None),
        (None, None),
    ],
)
def test_max_age(value, expected):
    assert parse_max_age(value) == expected
