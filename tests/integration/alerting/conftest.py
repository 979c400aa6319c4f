"""Fixtures of the alerting integration tests (helpers live in ``tests.support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.alerting.signing import new_secret
from tests.support.receivers import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = await Receiver(new_secret()).start()
    yield rec
    await rec.stop()
