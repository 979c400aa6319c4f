"""Plain aiokafka clients for the services that are not Faust apps (ingest, replay,
tools): where the broker is, producer settings that match the broker, topic creation,
and waiting for the broker with counted retries instead of crash-looping.

Where the broker is: ``WIREWATCH_KAFKA_BOOTSTRAP``, else the running stack's
``<data_dir>/stack.json`` (``shared.stackfile``), else a one-line ``SystemExit`` that
says how to start one.

Idempotence (``WIREWATCH_KAFKA_IDEMPOTENCE``): ``start_producer`` asks for it under
``auto`` and ``true``; a broker that refuses ``InitProducerId`` (Tansu) gets one log line
and a producer without it (``auto``), or a one-line ``SystemExit`` (``true``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError, UnknownError

from shared import backoff, stackfile, topics
from shared.settings import Settings

log = structlog.get_logger(__name__)


class BrokerUnavailable(SystemExit):
    """The broker did not answer within the configured attempts."""


class NoBroker(SystemExit):
    """Neither ``WIREWATCH_KAFKA_BOOTSTRAP`` nor a running stack says where the broker is."""


class IdempotenceRefused(SystemExit):
    """``WIREWATCH_KAFKA_IDEMPOTENCE=true`` and the broker rejects idempotent producers."""


def require_bootstrap(settings: Settings) -> str:
    """The broker's address: the setting, else the running stack's ``stack.json``."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    record = stackfile.read(settings.data_dir)
    if record is not None:
        return record.bootstrap
    raise NoBroker(
        "wirewatch: no Kafka broker: WIREWATCH_KAFKA_BOOTSTRAP is not set and no running "
        f"stack is recorded in {stackfile.path(settings.data_dir)}. Start one with `make run` "
        "(python -m services.stack), or set WIREWATCH_KAFKA_BOOTSTRAP=host:port."
    )


def located(settings: Settings) -> Settings:
    """``settings`` with the broker's address filled in (``NoBroker`` if there is none)."""
    bootstrap = require_bootstrap(settings)
    if bootstrap == settings.kafka_bootstrap:
        return settings
    return settings.model_copy(update={"kafka_bootstrap": bootstrap})


def producer(settings: Settings, **overrides: object) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas; idempotent unless
    ``WIREWATCH_KAFKA_IDEMPOTENCE=false`` (``start_producer`` handles a broker that
    refuses it)."""
    options: dict[str, object] = {
        "bootstrap_servers": require_bootstrap(settings),
        "acks": "all",
        "enable_idempotence": settings.kafka_idempotence != "false",
        "linger_ms": 5,
        "max_request_size": 16 * 1024 * 1024,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)  # type: ignore[arg-type]  # aiokafka's kwargs are untyped


class _DropInitProducerIdError(logging.Filter):
    """aiokafka logs the refusal at error level before raising; we say it once ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "InitProducerIdRequest" not in record.getMessage()


async def _started(settings: Settings, what: str, prod: AIOKafkaProducer) -> AIOKafkaProducer:
    try:
        await retry_connect(settings, what, prod.start)
    except BaseException:
        await prod.stop()  # no "Unclosed AIOKafkaProducer" after a failed start
        raise
    return prod


async def start_producer(settings: Settings, what: str, **overrides: object) -> AIOKafkaProducer:
    """A started producer (``retry_connect``), idempotent where the broker allows it."""
    if settings.kafka_idempotence == "false" or "enable_idempotence" in overrides:
        return await _started(settings, what, producer(settings, **overrides))
    sender_log = logging.getLogger("aiokafka.producer.sender")
    quiet = _DropInitProducerIdError()
    sender_log.addFilter(quiet)
    try:
        return await _started(settings, what, producer(settings, **overrides))
    except UnknownError:
        pass  # the broker answered InitProducerId with an error: no idempotent producers
    finally:
        sender_log.removeFilter(quiet)
    bootstrap = require_bootstrap(settings)
    if settings.kafka_idempotence == "true":
        raise IdempotenceRefused(
            f"wirewatch: the broker at {bootstrap} rejects idempotent producers "
            "(InitProducerId) and WIREWATCH_KAFKA_IDEMPOTENCE=true asks for them; "
            "set it to auto or false to go on without"
        )
    log.warning(
        "idempotence_unavailable",
        what=what,
        broker=bootstrap,
        detail="the broker rejects InitProducerId; producing without idempotence "
        "(WIREWATCH_KAFKA_IDEMPOTENCE=auto)",
    )
    return await _started(settings, what, producer(settings, **overrides, enable_idempotence=False))


async def retry_connect(settings: Settings, what: str, start: object) -> None:
    """Call ``start()`` until the broker answers, with backoff, counting attempts."""
    for attempt in range(1, settings.kafka_connect_attempts + 1):
        try:
            await start()  # type: ignore[operator]
            return
        except KafkaConnectionError as exc:
            log.warning("broker_unavailable", what=what, attempt=attempt, error=str(exc))
            await asyncio.sleep(backoff.exponential(attempt, base=0.2, cap=5.0))
    raise BrokerUnavailable(
        f"wirewatch: broker {require_bootstrap(settings)} did not answer after "
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
