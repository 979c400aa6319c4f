"""Durable subscriptions, the I/O side of ``store.SubscriptionStore``.

Every alerting worker reads the whole compacted ``wirewatch.subscriptions`` topic with a
plain aiokafka consumer: manual assignment of all partitions, from the beginning, no
consumer group (each worker needs every subscription, not a share of them). ``ready``
is set once the topic has been read to the end offsets it had at start, so ``/ready``
and the matching agent wait for it. API writes go through ``publish``, which waits until
this worker has applied the record (read-your-writes) or the wait runs out.
``reload_file`` re-reads the declarative file when it changed (a file that does not
load is logged and the previous one stays in force). The file's channel URLs are checked
against the delivery guard at start (refused: the service does not start, every problem
listed) and at each reload (refused: logged, the previous file stays in force).
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from services.alerting import metrics
from services.alerting.channelcheck import file_problems
from services.alerting.store import SubscriptionStore
from services.alerting.subscriptions import SubscriptionError, load_file
from shared import kafka, topics
from shared.records import SubscriptionChange
from shared.settings import Settings

__all__ = ["SubscriptionLog"]

log = structlog.get_logger(__name__)
SPEC = topics.SUBSCRIPTIONS


def _stamp(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class SubscriptionLog:
    def __init__(self, settings: Settings, store: SubscriptionStore) -> None:
        self.settings = settings
        self.store = store
        self.ready = asyncio.Event()
        self._applied = asyncio.Condition()
        self._producer: AIOKafkaProducer | None = None
        self._file_stamp = _stamp(store.file_path)
        file_subs = [sub for sub in store if store.source(sub.id) == "file"]
        problems = file_problems(file_subs, settings.allow_hosts)
        if problems:
            raise SubscriptionError(f"{store.file_path}:\n" + "\n".join(problems))
        self.publish_gauges()

    def publish_gauges(self) -> None:
        modes = self.store.modes()
        for mode in ("realtime", "digest"):
            metrics.SUBSCRIPTIONS.labels(mode=mode).set(modes.get(mode, 0))

    # --- the topic ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Materialise the topic into the store until cancelled (a Faust ``app.task``)."""
        await kafka.ensure_topics(self.settings, (SPEC,))
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka.require_bootstrap(self.settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.kafka_fetch_wait_ms,
        )
        await kafka.retry_connect(self.settings, "subscriptions consumer", consumer.start)
        producer = await kafka.start_producer(self.settings, "subscriptions producer", linger_ms=0)
        try:
            await consumer.topics()  # refresh metadata
            parts = consumer.partitions_for_topic(SPEC.name) or set(range(SPEC.partitions))
            tps = [TopicPartition(SPEC.name, p) for p in sorted(parts)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            end = await consumer.end_offsets(tps)
            self._producer = producer
            offsets = {tp.partition: end[tp] for tp in tps}
            log.info("subscriptions_topic_reading", end_offsets=offsets)
            while True:
                if not self.ready.is_set() and await self._at_end(consumer, end):
                    self.ready.set()
                    log.info("subscriptions_topic_read", subscriptions=len(self.store))
                batch = await consumer.getmany(*tps, timeout_ms=500)
                for records in batch.values():
                    for rec in records:
                        self._apply(rec.offset, rec.key, rec.value)
                if batch:
                    self.publish_gauges()
                    async with self._applied:
                        self._applied.notify_all()
        finally:
            self._producer = None
            await consumer.stop()
            await producer.stop()

    @staticmethod
    async def _at_end(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
        for tp, offset in end.items():
            if await consumer.position(tp) < offset:
                return False
        return True

    def _apply(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        sub_id = (key or b"").decode("utf-8", "replace")
        try:
            raw = None if value is None else SubscriptionChange.loads(value).subscription
            self.store.apply(offset, sub_id, raw)
        except (ValidationError, SubscriptionError, ValueError) as exc:
            self.store.applied = max(self.store.applied, offset)
            log.error("subscription_record_invalid", offset=offset, id=sub_id, error=str(exc))
            return
        log.info("subscription_applied", offset=offset, id=sub_id, deleted=value is None)

    async def publish(self, sub_id: str, change: SubscriptionChange | None) -> bool:
        """Write ``change`` (None: delete) durably; True once this worker applied it."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("the subscriptions topic is not open yet")
        value = None if change is None else change.dumps()
        meta = await producer.send_and_wait(SPEC.name, value, key=sub_id.encode())
        try:
            async with asyncio.timeout(self.settings.api_write_wait_s), self._applied:
                await self._applied.wait_for(lambda: self.store.applied >= meta.offset)
        except TimeoutError:
            return False
        return True

    # --- the file ----------------------------------------------------------------------------

    def reload_file(self) -> None:
        """Re-read the subscription file if its content changed."""
        stamp = _stamp(self.store.file_path)
        if stamp is None or stamp == self._file_stamp:
            return
        self._file_stamp = stamp
        try:
            subs = load_file(self.store.file_path)
            problems = file_problems(subs, self.settings.allow_hosts)
            if problems:
                raise SubscriptionError(f"{self.store.file_path}:\n" + "\n".join(problems))
        except SubscriptionError as exc:
            log.error("subscriptions_file_invalid", path=str(self.store.file_path), error=str(exc))
            return
        changed = self.store.set_file(subs)
        self.publish_gauges()
        log.info("subscriptions_file_reloaded", count=len(subs), changed=changed)
