"""Fixtures of the story-clustering tests."""

from __future__ import annotations

import pytest

from services.stories.archive import Entry, read

from .builders import DEVSTREAM


@pytest.fixture(scope="session")
def devstream() -> list[Entry]:
    return read(DEVSTREAM.read_text(encoding="utf-8"))
