"""Faust flushes its producer buffer (where table writes queue their changelog records)
before it commits offsets. Its own flush gave up after 0.1 s without a record going out,
so offsets could be committed ahead of the changelog; ``shared.streaming`` patches it to
drain. Here the broker is frozen while the buffer is full, as under load: the flush must
wait for every record, and every record must be on the broker afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared import kafka
from shared.broker import EmbeddedBroker
from shared.settings import Settings
from shared.streaming import make_app

pytestmark = pytest.mark.integration
RECORDS = 600
FROZEN_S = 1.5


async def test_flush_waits_for_every_buffered_record(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic("changelog-probe", 1, 1)])
    finally:
        await admin.close()
    settings = Settings(kafka_bootstrap=broker.bootstrap, data_dir=tmp_path)
    app = make_app("flushprobe", settings, 65001)
    await app.producer.start()
    try:
        probe = app.topic("changelog-probe", key_type=bytes, value_type=bytes)
        await probe.send(key=b"warm", value=b"up")  # metadata known before the freeze
        await app.producer.flush()
        assert broker.pid is not None
        os.kill(broker.pid, signal.SIGSTOP)
        thawed = asyncio.get_running_loop().call_later(
            FROZEN_S, os.kill, broker.pid, signal.SIGCONT
        )
        try:
            for i in range(RECORDS):  # what table writes do: queue, do not wait
                probe.send_soon(key=str(i).encode(), value=b"v" * 2048)
            started = asyncio.get_running_loop().time()
            await app.producer.flush()
            waited = asyncio.get_running_loop().time() - started
        finally:
            thawed.cancel()
            os.kill(broker.pid, signal.SIGCONT)
        buffer = app.producer.buffer
        assert buffer.size == 0, f"flush returned after {waited:.2f} s with {buffer.size} queued"
        tp = TopicPartition("changelog-probe", 0)
        ends = await kafka.record_end_offsets(broker.bootstrap, {tp: 1})
        assert ends[tp] == RECORDS + 1
    finally:
        await app.producer.stop()
