"""Publishing to and reading from the real broker's topics in tests."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.records import Article, DeadLetter, StoryUpdate


async def publish(bootstrap: str, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    """Send (key, value) pairs in order, each acknowledged by every replica."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def publish_updates(bootstrap: str, updates: list[StoryUpdate]) -> None:
    await publish(
        bootstrap,
        "wirewatch.story-updates",
        [(u.story.id.encode(), u.dumps()) for u in updates],
    )


async def read_all(bootstrap: str, topic: str, idle_polls: int = 3) -> list[bytes]:
    """Every value on ``topic`` from the start, read until ``idle_polls`` half-second polls
    in a row bring nothing."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=32 * 1024 * 1024,
    )
    await consumer.start()
    out: list[bytes] = []
    try:
        idle = 0
        while idle < idle_polls:
            batch = await consumer.getmany(timeout_ms=500)
            idle = 0 if batch else idle + 1
            out += [r.value for rs in batch.values() for r in rs if r.value is not None]
    finally:
        await consumer.stop()
    return out


async def read_dead_letters(bootstrap: str, timeout: float = 1.0) -> list[DeadLetter]:
    """Every dead letter so far (the first fetch waits up to ``timeout`` seconds)."""
    consumer = AIOKafkaConsumer(
        "wirewatch.dead-letters", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    out: list[DeadLetter] = []
    try:
        batch = await consumer.getmany(timeout_ms=int(timeout * 1000))
        while batch:
            out += [DeadLetter.loads(r.value) for rs in batch.values() for r in rs]
            batch = await consumer.getmany(timeout_ms=300)
    finally:
        await consumer.stop()
    return out


async def read_articles(bootstrap: str, count: int, timeout: float = 30) -> dict[str, Article]:
    """The articles on ``wirewatch.articles`` by id, once ``count`` are read (or timeout)."""
    consumer = AIOKafkaConsumer(
        "wirewatch.articles", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: dict[str, Article] = {}
    try:
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    article = Article.loads(rec.value)
                    found[article.id] = article
    finally:
        await consumer.stop()
    return found
