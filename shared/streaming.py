"""The Faust side of every stream processor: one app factory with the settings that work
on both Tansu and Apache Kafka, and a decoding loop that routes poison messages to the
dead-letter topic instead of crashing or silently skipping them.

Faust marks an event done even when the agent raises (faust-streaming #527), so every
agent decodes and processes inside ``decoded()``, which catches per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import faust
import structlog
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.producer import ProducerBuffer
from pydantic import ValidationError

from shared import collector, kafka, logs, topics
from shared import settings as settings_mod
from shared.brokerwatch import BrokerWatch
from shared.kafka import require_bootstrap
from shared.metrics import DEAD_LETTERS
from shared.records import DeadLetter, Record
from shared.settings import Settings

log = structlog.get_logger(__name__)
R = TypeVar("R", bound=Record)
DEAD_LETTER_PREVIEW = 4096


def _bounded_fetch_wait() -> None:
    """Faust 0.15 builds its consumer with ``fetch_max_wait_ms=1500`` and no setting for
    it. Tansu holds every fetch for about half of that even when records are waiting
    (measured with plain aiokafka, one record every 5 ms: p50 379 ms at 1,500 ms, 27 ms at
    100, 4 ms at 10), so each Faust hop added ~0.4 s. The wait is taken from the app's
    ``wirewatch_fetch_wait_ms`` instead (set by ``make_app``) before the consumer starts."""
    create = AIOKafkaConsumerThread._create_worker_consumer
    if getattr(create, "wirewatch", False):
        return

    def create_worker_consumer(self: AIOKafkaConsumerThread, transport: Any) -> Any:
        consumer = create(self, transport)
        wait = getattr(self.app, "wirewatch_fetch_wait_ms", None)
        if wait is not None:
            consumer._fetch_max_wait_ms = wait  # read by AIOKafkaConsumer.start()
        return consumer

    create_worker_consumer.wirewatch = True  # type: ignore[attr-defined]
    AIOKafkaConsumerThread._create_worker_consumer = create_worker_consumer  # type: ignore[method-assign]


_bounded_fetch_wait()


def _exact_highwaters() -> None:
    """Faust recovers a table by reading its changelog up to the partition's end offset
    (its "highwater") and stops there. Tansu reports the end as the base offset of the
    last record batch + 1, so a worker restarted on it silently lost the tail of its
    tables: every record after the first of the last batch (Faust sends changelog
    records in batches of up to 100 when its buffer fills). The highwaters are made
    exact with ``kafka.record_end_offsets`` (one extra fetch per partition at recovery)
    before Faust uses them; the app's bootstrap is set by ``make_app``."""
    highwaters = AIOKafkaConsumerThread._highwaters
    if getattr(highwaters, "wirewatch", False):
        return

    async def exact(self: AIOKafkaConsumerThread, partitions: list[Any]) -> Any:
        ends = await highwaters(self, partitions)
        bootstrap = getattr(self.app, "wirewatch_bootstrap", None)
        if bootstrap is None or self.consumer.in_transaction:
            return ends
        return await kafka.record_end_offsets(bootstrap, ends)

    exact.wirewatch = True  # type: ignore[attr-defined]
    AIOKafkaConsumerThread._highwaters = exact  # type: ignore[method-assign]


_exact_highwaters()


def _no_skipped_records() -> None:
    """Faust takes any jump between the offset it last read of a partition and the next
    record it gets for a gap in the partition, and commits past it. After a rebalance its
    drain loop keeps reading while it seeks the partitions to their committed offsets,
    and it then sets its read offsets back to the committed ones although the consumer
    had already read further: the next record arrived beyond a "gap" of records never
    handed to an agent, and they were committed unprocessed. Seen in ``make chaos`` with
    real-time alerts attempted in place (since reverted): a restarted alerting worker's
    read offset went back to 49 on one partition while its consumer went on at 185.

    Offsets of the topics Faust acks have no gaps here (no compaction, no transactions),
    so a fetch whose records start past Faust's read offset + 1 is put back: the
    partition is rewound to the read offset (its record may come twice; a repeat keeps
    its idempotency key) and the records are dropped from this fetch."""
    fetch = AIOKafkaConsumerThread._fetch_records
    if getattr(fetch, "wirewatch", False):
        return

    async def fetch_records(
        self: AIOKafkaConsumerThread, consumer: Any, *args: Any, **kwargs: Any
    ) -> Any:
        records = await fetch(self, consumer, *args, **kwargs)
        read = self.consumer._read_offset
        acked_topic = self.app.topics.acks_enabled_for
        ahead = {}
        for tp, batch in records.items():
            last = read.get(tp)  # Faust's TP and aiokafka's TopicPartition are equal tuples
            if batch and last is not None and batch[0].offset > last + 1 and acked_topic(tp.topic):
                consumer._fetcher.seek_to(tp, last)
                ahead[tp] = (last, batch[0].offset)
        if not ahead:
            return records
        log.warning(
            "fetch_rewound",
            partitions={f"{tp.topic}/{tp.partition}": list(at) for tp, at in ahead.items()},
        )
        return {tp: batch for tp, batch in records.items() if tp not in ahead}

    fetch_records.wirewatch = True  # type: ignore[attr-defined]
    AIOKafkaConsumerThread._fetch_records = fetch_records  # type: ignore[method-assign]


_no_skipped_records()


def _draining_flush() -> None:
    """Table writes only put their changelog records in Faust's producer buffer; a task
    hands them to the Kafka producer one by one. Before committing offsets Faust flushes
    that buffer, but its flush gives up when no record went out within 0.1 s, and it
    does not count the record the task is handing over. Under load (a full batch in the
    producer, a busy event loop) it returned with changelog records still waiting, the
    offsets were committed, and a worker killed then restored state older than what it
    had already published: stories re-used revisions alerting had seen, and the alerts
    for the next articles were lost (the intermittent kill -9 stories chaos failure).
    Here the flush returns only once the buffer is empty and nothing is in hand."""
    if getattr(ProducerBuffer.flush, "wirewatch", False):
        return
    send_pending = ProducerBuffer._send_pending
    in_hand: weakref.WeakKeyDictionary[ProducerBuffer, int] = weakref.WeakKeyDictionary()

    async def counted_send(self: ProducerBuffer, fut: Any) -> None:
        in_hand[self] = in_hand.get(self, 0) + 1
        try:
            await send_pending(self, fut)
        finally:
            in_hand[self] -= 1

    async def flush(self: ProducerBuffer) -> None:
        while self.size or in_hand.get(self, 0):
            if self.state != "running" and self.size:
                raise RuntimeError("Cannot flush: Producer not Running")
            self.message_sent.clear()
            with contextlib.suppress(TimeoutError):  # re-check: a record may be in hand
                await asyncio.wait_for(self.message_sent.wait(), timeout=0.5)

    flush.wirewatch = True  # type: ignore[attr-defined]
    ProducerBuffer._send_pending = counted_send  # type: ignore[method-assign]
    ProducerBuffer.flush = flush  # type: ignore[method-assign]


_draining_flush()


def make_app(
    service: str,
    settings: Settings,
    port: int,
    ready_check: Callable[[], str | None] | None = None,
) -> faust.App:
    """A Faust app with wirewatch's settings and /metrics, /health, /ready.

    ``/ready`` answers 200 once the consumer has its partitions and ``ready_check()``
    (if given) returns ``None``; otherwise 503 with what it is waiting for."""
    brokers = [f"kafka://{h.strip()}" for h in require_bootstrap(settings).split(",")]
    (settings.data_dir / service).mkdir(parents=True, exist_ok=True)
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
    app.wirewatch_fetch_wait_ms = settings.kafka_fetch_wait_ms  # type: ignore[attr-defined]
    app.wirewatch_bootstrap = require_bootstrap(settings)  # type: ignore[attr-defined]
    setup_prometheus_sensors(app, pattern="/metrics", name_prefix=f"faust_{service}")
    watch = BrokerWatch(require_bootstrap(settings))

    @app.task
    async def watch_broker() -> None:
        await watch.run()

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, request: Any) -> Any:
        try:
            waiting = None if not app.rebalancing and app.consumer.assignment() else "partitions"
        except Exception:  # the consumer is not started yet
            waiting = "consumer start"
        if waiting is None and ready_check is not None:
            waiting = ready_check()
        if waiting is None:
            return web.json({"ready": True})
        return web.json({"ready": False, "detail": f"waiting for {waiting}"}, status=503)

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


async def dead_letter(
    dlq: faust.TopicT, event: faust.EventT, reason: str, *, whole: bool = False
) -> None:
    """Send ``event``'s value to the dead-letter topic with ``reason``. The value is
    kept whole where it can be re-driven (``whole=True``), else a 4 KiB preview."""
    value = event.value if isinstance(event.value, bytes) else repr(event.value).encode()
    msg = event.message
    letter = DeadLetter(
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        reason=reason[:2000],
        value=(value if whole else value[:DEAD_LETTER_PREVIEW]).decode("utf-8", "replace"),
        failed_at=datetime.now(UTC),
    )
    DEAD_LETTERS.labels(topic=msg.topic, reason=reason.split(":", 1)[0][:40]).inc()
    log.warning(
        "dead_letter",
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        reason=reason[:300],
    )
    await dlq.send(key=msg.topic.encode(), value=letter.dumps())


async def decoded(
    stream: faust.StreamT, record: type[R], dlq: faust.TopicT
) -> AsyncIterator[tuple[faust.EventT, R]]:
    """Yield ``(event, record)`` for every value that decodes; dead-letter the rest.

    Each event starts with a turn of the event loop. Table writes only queue their
    changelog records, and Faust's task that sends them runs when the agent yields; an
    agent working through a backlog never did, so the queue reached Faust's limit of 100
    and the agent stalled while it drained (stories: "producer buffer full", commits
    taking 3-9 s, 1-3 s latency spikes at 200 articles/s)."""
    async for event in stream.events():
        await asyncio.sleep(0)
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


def run_worker(app: faust.App, settings: Settings, service: str) -> None:
    """Run a Faust app as a worker until SIGTERM/SIGINT, logging like every service."""
    worker = faust.Worker(
        app, loglevel=settings.log_level, logging_config=logs.dict_config(settings), quiet=True
    )
    if settings.gc_thaw_every:
        collector.install(settings.gc_thaw_every)
    worker.execute_from_commandline()


def service_main(
    service: str,
    argv: list[str] | None,
    build: Callable[[Settings], faust.App],
    commands: dict[str, Callable[[list[str]], int]] | None = None,
) -> int:
    """The one start path of a Faust service: ``python -m services.<service> worker``,
    plus its offline commands (which need no broker)."""
    args = sys.argv[1:] if argv is None else argv
    commands = commands or {}
    if args[:1] and args[0] in commands:
        return commands[args[0]](args[1:])
    if args[:1] != ["worker"]:
        names = "|".join(["worker", *commands])
        sys.stderr.write(f"usage: python -m services.{service} {{{names}}} ...\n")
        return 2
    conf = settings_mod.load()
    logs.setup(conf, service)
    run_worker(build(conf), conf, service)
    return 0
