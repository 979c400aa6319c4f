"""Header parsing the scheduler depends on (Retry-After, Cache-Control)."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from services.ingest.fetch import parse_max_age, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        (formatdate(NOW + 300, usegmt=True), 300.0),
        (formatdate(NOW - 300, usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("-5", None),
    ],
)
def test_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


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
