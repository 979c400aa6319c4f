"""``python -m services.alerting redrive``: send dead-lettered alerts (and digests) back
for delivery. Reads ``wirewatch.dead-letters`` as the consumer group
``wirewatch-redrive`` and commits after re-publishing, so each dead letter is re-driven
once. A re-driven alert goes to the retry topic as attempt 1, due now: it is delivered on
the next tick with the full retry schedule ahead of it, and keeps its idempotency key."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaConsumer
from pydantic import TypeAdapter, ValidationError

from shared import kafka, logs, topics
from shared import settings as settings_mod
from shared.records import Alert, DeadLetter, Digest, RetryEnvelope

log = structlog.get_logger(__name__)

_SOURCES = frozenset({topics.ALERTS.name, topics.ALERTS_RETRY.name})
_PAYLOAD: TypeAdapter[Alert | Digest] = TypeAdapter(Alert | Digest)


def redrivable(letter: DeadLetter, subscription: str | None) -> Alert | Digest | None:
    """The alert or digest inside ``letter`` if it is one that may be delivered again."""
    if letter.topic not in _SOURCES:
        return None
    try:
        alert = _PAYLOAD.validate_json(letter.value)
    except ValidationError:
        return None
    if subscription and alert.subscription != subscription:
        return None
    return alert


async def redrive(subscription: str | None, dry_run: bool, idle_s: float = 2.0) -> int:
    conf = settings_mod.load()
    logs.setup(conf, "redrive")
    await kafka.ensure_topics(conf, (topics.DEAD_LETTERS, topics.ALERTS_RETRY))
    consumer = AIOKafkaConsumer(
        topics.DEAD_LETTERS.name,
        bootstrap_servers=kafka.require_bootstrap(conf),
        group_id="wirewatch-redrive",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await kafka.retry_connect(conf, "redrive consumer", consumer.start)
    producer = await kafka.start_producer(conf, "redrive producer")
    count = 0
    try:
        while batch := await consumer.getmany(timeout_ms=int(idle_s * 1000)):
            for records in batch.values():
                for rec in records:
                    try:
                        letter = DeadLetter.loads(rec.value)
                    except ValidationError:
                        continue
                    alert = redrivable(letter, subscription)
                    if alert is None:
                        continue
                    log.info(
                        "redrive", alert=alert.id, subscription=alert.subscription, dry_run=dry_run
                    )
                    if not dry_run:
                        envelope = RetryEnvelope(
                            alert=alert, attempt=1, not_before=datetime.now(UTC)
                        )
                        await producer.send_and_wait(
                            topics.ALERTS_RETRY.name,
                            envelope.dumps(),
                            key=alert.subscription.encode(),
                        )
                    count += 1
            if not dry_run:
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
    log.info("redrive_done", alerts=count, dry_run=dry_run)
    return 0


def redrive_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.alerting redrive")
    parser.add_argument("--subscription", help="only this subscription's alerts")
    parser.add_argument("--dry-run", action="store_true", help="list, do not re-send or commit")
    args = parser.parse_args(argv)
    return asyncio.run(redrive(args.subscription, args.dry_run))
