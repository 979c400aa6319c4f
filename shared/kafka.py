"""Plain aiokafka clients for the services that are not Faust apps (ingest, replay,
tools): producer settings that match the broker, topic creation, and waiting for the
broker with counted retries instead of crash-looping."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiokafka import AIOKafkaProducer
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
        "max_batch_size": settings.batch_bytes,
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
