"""Plain aiokafka clients for the services that are not Faust apps (ingest, replay,
tools): producer settings that match the broker, topic creation, and waiting for the
broker with counted retries instead of crash-looping."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from shared import topics
from shared.settings import Settings

log = structlog.get_logger(__name__)


class BrokerUnavailable(SystemExit):
    """The broker did not answer within the configured attempts."""


def require_bootstrap(settings: Settings) -> str:
    if settings.embedded:
        raise SystemExit(
            "wirewatch: WIREWATCH_KAFKA_BOOTSTRAP is not set. Point it at a Kafka cluster "
            "(host:port), or run `python -m services.stack` to start the embedded broker."
        )
    return settings.kafka_bootstrap


def producer(settings: Settings, **overrides: object) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas; idempotent where the broker allows."""
    options: dict[str, object] = {
        "bootstrap_servers": require_bootstrap(settings),
        "acks": "all",
        "enable_idempotence": settings.idempotence,
        "linger_ms": 5,
        "max_request_size": 16 * 1024 * 1024,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)  # type: ignore[arg-type]  # aiokafka's kwargs are untyped


async def retry_connect(settings: Settings, what: str, start: object) -> None:
    """Call ``start()`` until the broker answers, with backoff, counting attempts."""
    delay = 0.2
    for attempt in range(1, settings.kafka_connect_attempts + 1):
        try:
            await start()  # type: ignore[operator]
            return
        except KafkaConnectionError as exc:
            log.warning("broker_unavailable", what=what, attempt=attempt, error=str(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise BrokerUnavailable(
        f"wirewatch: broker {settings.kafka_bootstrap} did not answer after "
        f"{settings.kafka_connect_attempts} attempts ({what})"
    )


async def ensure_topics(
    settings: Settings, specs: tuple[topics.TopicSpec, ...] = topics.ALL
) -> None:
    """Create wirewatch's topics if they do not exist (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=require_bootstrap(settings))
    await retry_connect(settings, "admin", admin.start)
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                s.name,
                num_partitions=s.partitions,
                replication_factor=settings.kafka_replication,
                topic_configs={"cleanup.policy": "compact"} if s.compacted else {},
            )
            for s in specs
            if s.name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            log.info("topics_created", topics=[t.name for t in missing])
    finally:
        await admin.close()


async def record_end_offsets(
    bootstrap: str, ends: Mapping[TopicPartition, int], timeout_s: float = 5.0
) -> dict[TopicPartition, int]:
    """End offsets that count records, from the ``ends`` a broker reported.

    Tansu 0.6 reports a partition's end as the base offset of its last record *batch* + 1
    (50 records in one batch: 1). Reading from ``end - 1`` returns that batch whole;
    its last record + 1 is the true end. On Apache Kafka the answer is ``ends`` again, at
    the cost of one fetch per partition. Partitions that return nothing in ``timeout_s``
    keep the reported end."""
    exact = dict(ends)
    wanted = [tp for tp, end in ends.items() if end > 0]
    if not wanted:
        return exact
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(wanted)
        for tp in wanted:
            consumer.seek(tp, ends[tp] - 1)
        pending = set(wanted)
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            batch = await consumer.getmany(*pending, timeout_ms=200)
            for tp, records in batch.items():
                if records:
                    exact[tp] = max(exact[tp], records[-1].offset + 1)
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return exact
