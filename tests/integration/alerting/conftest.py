"""Fixtures of the alerting integration tests (helpers live in ``harness``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.alerting.signing import new_secret
from tests.integration.alerting.harness import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = await Receiver(new_secret()).start()
    yield rec
    await rec.stop()
