"""A fetch whose records start past Faust's read offset is put back, not handed over.

After a rebalance Faust set its read offsets back to the committed ones while its
consumer had read further; the next record looked like a gap to Faust, which committed
past the records in between (a restarted alerting worker lost up to 311 of 900 alerts in
make chaos). ``shared.streaming`` wraps the fetch: records that start beyond the read
offset + 1 are dropped from the fetch and the partition is rewound to the read offset.
Tested on a real broker and a real aiokafka consumer, with Faust's consumer state
reduced to what the fetch reads."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

import shared.streaming  # noqa: F401  # installs the wrapper
from shared import kafka
from shared.broker import EmbeddedBroker
from shared.settings import Settings

pytestmark = pytest.mark.integration
RECORDS = 30
TOPIC = "put-back"


async def _produce(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 1, 1)])
    finally:
        await admin.close()
    producer = kafka.producer(Settings(kafka_bootstrap=bootstrap, kafka_idempotence=False))
    await producer.start()
    try:
        sent = [await producer.send(TOPIC, str(i).encode(), partition=0) for i in range(RECORDS)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def _faust_side(read_offset: int, acked_topics: set[str]) -> Any:
    """What the fetch reads of Faust: its read offsets and which topics it acks."""
    return SimpleNamespace(
        consumer=SimpleNamespace(flow_active=True, _read_offset={TP(TOPIC, 0): read_offset}),
        app=SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=acked_topics.__contains__)),
    )


async def _read_all(thread: Any, consumer: AIOKafkaConsumer, tp: TopicPartition) -> list[int]:
    fetch = AIOKafkaConsumerThread._fetch_records
    got: list[int] = []
    for _ in range(20):
        batch = await fetch(thread, consumer, {tp}, timeout=1.0)
        got += [record.offset for record in batch.get(tp, [])]
        if got and got[-1] == RECORDS - 1:
            break
    return got


@pytest.fixture
async def consumer(broker: EmbeddedBroker) -> Any:
    await _produce(broker.bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None)
    await consumer.start()
    consumer.assign([TopicPartition(TOPIC, 0)])
    yield consumer
    await consumer.stop()


async def test_records_past_the_read_offset_are_read_again(consumer: AIOKafkaConsumer) -> None:
    tp = TopicPartition(TOPIC, 0)
    fetch = AIOKafkaConsumerThread._fetch_records
    assert getattr(fetch, "wirewatch", False)
    consumer.seek(tp, 20)  # the consumer went on at 20; Faust last read 5
    thread = _faust_side(5, {TOPIC})
    assert await fetch(thread, consumer, {tp}, timeout=5.0) == {}
    assert await consumer.position(tp) == 5  # rewound to Faust's read offset
    assert await _read_all(thread, consumer, tp) == list(range(5, RECORDS))


async def test_records_in_order_and_unacked_topics_pass(consumer: AIOKafkaConsumer) -> None:
    tp = TopicPartition(TOPIC, 0)
    consumer.seek(tp, 6)  # Faust last read 5: the next record is 6, no gap
    assert await _read_all(_faust_side(5, {TOPIC}), consumer, tp) == list(range(6, RECORDS))
    consumer.seek(tp, 20)  # a jump, but on a topic Faust does not ack (a changelog)
    assert await _read_all(_faust_side(5, set()), consumer, tp) == list(range(20, RECORDS))
