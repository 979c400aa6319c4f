"""Faust's worker consumer is built with wirewatch's fetch wait (Faust hard-codes 1.5 s,
which Tansu turned into ~0.4 s per hop)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import Settings
from shared.streaming import make_app


@pytest.mark.parametrize("wait", [50, 37])
async def test_worker_consumer_uses_the_fetch_wait_setting(tmp_path: Path, wait: int) -> None:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", kafka_fetch_wait_ms=wait, data_dir=tmp_path)
    app = make_app(f"probe{wait}", settings, 65000)  # one metrics prefix per app
    consumer = app.consumer._thread._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == wait
    finally:
        await consumer.stop()  # never started: only releases what the constructor made
