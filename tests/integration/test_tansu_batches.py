"""Tansu counts end offsets in record batches, not records; ``record_end_offsets``
makes them exact. Faust's table recovery reads a changelog up to that end (patched in
``shared.streaming``), so without it a restarted worker lost the tail of its state."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faust.types import TP

from shared import kafka
from shared.broker import EmbeddedBroker
from shared.settings import Settings

pytestmark = pytest.mark.integration
RECORDS = 50


async def _burst(broker: EmbeddedBroker, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    producer = kafka.producer(Settings(kafka_bootstrap=broker.bootstrap, kafka_idempotence=False))
    await producer.start()
    try:  # one burst per partition but the last, which stays empty
        sent = [
            await producer.send(topic, b"x" * 200, partition=p)
            for p in range(partitions - 1)
            for _ in range(RECORDS)
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _reported(broker: EmbeddedBroker, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def test_end_offsets_count_every_record(broker: EmbeddedBroker) -> None:
    await _burst(broker, "burst", 3)
    tps = [TopicPartition("burst", p) for p in range(3)]
    reported = await _reported(broker, tps)
    assert reported[tps[0]] < RECORDS  # why: Tansu counts the batch, not its records
    exact = await kafka.record_end_offsets(broker.bootstrap, reported)
    assert exact == {tps[0]: RECORDS, tps[1]: RECORDS, tps[2]: 0}


async def test_faust_partitions_work_too(broker: EmbeddedBroker) -> None:
    """Faust hands its own ``TP`` tuples to the patched highwaters."""
    await _burst(broker, "burst-faust", 2)
    tps = [TP("burst-faust", 0), TP("burst-faust", 1)]
    reported = await _reported(broker, tps)  # type: ignore[arg-type]
    exact = await kafka.record_end_offsets(broker.bootstrap, reported)
    assert exact[tps[0]] == RECORDS and exact[tps[1]] == 0  # type: ignore[index]
