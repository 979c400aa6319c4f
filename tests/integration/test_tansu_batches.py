"""Tansu counts end offsets in record batches, not records: wirewatch's producers build
one-record batches on it, so reading a topic "to its end" (Faust's table recovery, the
subscriptions log) reads every record."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared import kafka
from shared.broker import EmbeddedBroker
from shared.settings import Settings
from shared.streaming import make_app

pytestmark = pytest.mark.integration
RECORDS = 50


async def _end_offset_after_burst(broker: EmbeddedBroker, topic: str, settings: Settings) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = kafka.producer(settings)
    await producer.start()
    try:
        sent = [await producer.send(topic, b"x" * 200, partition=0) for _ in range(RECORDS)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        return (await consumer.end_offsets([tp]))[tp]
    finally:
        await consumer.stop()


async def test_tansu_end_offsets_count_every_record(broker: EmbeddedBroker) -> None:
    tansu = Settings(kafka_bootstrap=broker.bootstrap, kafka_idempotence=False)
    assert tansu.batch_bytes == 1
    assert await _end_offset_after_burst(broker, "burst-one-per-batch", tansu) == RECORDS


async def test_batched_records_are_what_tansu_miscounts(broker: EmbeddedBroker) -> None:
    """Why the setting exists: the same burst in aiokafka's default batches."""
    batched = Settings(
        kafka_bootstrap=broker.bootstrap, kafka_idempotence=False, kafka_batch_bytes=16384
    )
    assert await _end_offset_after_burst(broker, "burst-batched", batched) < RECORDS


def test_faust_producers_use_the_batch_setting(tmp_path: Path) -> None:
    tansu = Settings(kafka_bootstrap="127.0.0.1:1", kafka_idempotence=False, data_dir=tmp_path)
    kafka_ = Settings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path)
    assert make_app("batches-tansu", tansu, 65001).conf.producer_max_batch_size == 1
    assert make_app("batches-kafka", kafka_, 65002).conf.producer_max_batch_size == 16384
