"""Fixtures shared by every test ring: the real embedded broker on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.broker import EmbeddedBroker

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A fresh Tansu broker per test (memory-only: every test starts with no topics)."""
    with EmbeddedBroker(log_file=tmp_path / "broker.log") as b:
        yield b
