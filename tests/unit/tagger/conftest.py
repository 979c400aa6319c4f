"""Fixtures for the tagger tests: the default watchlist, compiled once."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.tagger.matcher import Matcher
from services.tagger.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_WATCHLIST = ROOT / "config" / "watchlist.yaml"


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    return Matcher(load_watchlist(DEFAULT_WATCHLIST))


@pytest.fixture(scope="session")
def default_watchlist() -> Path:
    return DEFAULT_WATCHLIST
