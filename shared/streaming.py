"""The Faust side of every stream processor: one app factory with the settings that work
on both Tansu and Apache Kafka, and a decoding loop that routes poison messages to the
dead-letter topic instead of crashing or silently skipping them.

Faust marks an event done even when the agent raises (faust-streaming #527), so every
agent decodes and processes inside ``decoded()``, which catches per event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import faust
import structlog
from faust.sensors.prometheus import setup_prometheus_sensors
from pydantic import ValidationError

from shared import topics
from shared.kafka import require_bootstrap
from shared.metrics import DEAD_LETTERS
from shared.records import DeadLetter, Record
from shared.settings import Settings

log = structlog.get_logger(__name__)
R = TypeVar("R", bound=Record)
DEAD_LETTER_PREVIEW = 4096


def make_app(service: str, settings: Settings, port: int) -> faust.App:
    brokers = [f"kafka://{h.strip()}" for h in require_bootstrap(settings).split(",")]
    app = faust.App(
        f"wirewatch-{service}",
        broker=brokers,
        store="memory://",
        datadir=str(settings.data_dir / service),
        web_host=settings.host,
        web_port=port,
        web_in_thread=False,
        topic_replication_factor=settings.kafka_replication,
        topic_partitions=4,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        broker_session_timeout=settings.kafka_session_timeout_s,
        broker_heartbeat_interval=settings.kafka_heartbeat_s,
        broker_request_timeout=max(30.0, settings.kafka_session_timeout_s * 3),
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=16 * 1024 * 1024,
        consumer_max_fetch_size=16 * 1024 * 1024,
        table_cleanup_interval=60.0,
    )
    setup_prometheus_sensors(app, pattern="/metrics", name_prefix=f"faust_{service}")

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, request: Any) -> Any:
        ok = app.rebalancing is False and app.consumer is not None
        return web.json({"ready": ok}, status=200 if ok else 503)

    return app


def topic(app: faust.App, spec: topics.TopicSpec) -> faust.TopicT:
    """A Faust topic carrying raw bytes: decoding happens in ``decoded()`` per event."""
    return app.topic(
        spec.name,
        partitions=spec.partitions,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )


async def dead_letter(dlq: faust.TopicT, event: faust.EventT, reason: str) -> None:
    value = event.value if isinstance(event.value, bytes) else repr(event.value).encode()
    msg = event.message
    letter = DeadLetter(
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        reason=reason[:2000],
        value=value[:DEAD_LETTER_PREVIEW].decode("utf-8", "replace"),
        failed_at=datetime.now(UTC),
    )
    DEAD_LETTERS.labels(topic=msg.topic, reason=reason.split(":", 1)[0][:40]).inc()
    log.warning(
        "dead_letter", topic=msg.topic, partition=msg.partition, offset=msg.offset, reason=reason[:300]
    )
    await dlq.send(key=msg.topic.encode(), value=letter.dumps())


async def decoded(
    stream: faust.StreamT, record: type[R], dlq: faust.TopicT
) -> AsyncIterator[tuple[faust.EventT, R]]:
    """Yield ``(event, record)`` for every value that decodes; dead-letter the rest."""
    async for event in stream.events():
        try:
            value = record.loads(event.value)
        except ValidationError as exc:
            first = exc.errors()[0] if exc.errors() else {"msg": str(exc), "loc": ()}
            where = ".".join(str(p) for p in first.get("loc", ()))
            await dead_letter(dlq, event, f"invalid {record.__name__}: {where} {first['msg']}")
            continue
        except (TypeError, ValueError) as exc:
            await dead_letter(dlq, event, f"undecodable: {exc}")
            continue
        yield event, value
