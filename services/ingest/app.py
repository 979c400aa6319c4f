"""The ingest shell: wires the feed poller and the replay command to Kafka, metrics and
signals. The order of work (fetch → parse → normalise → dedup) lives in pipeline.py."""

from __future__ import annotations

import asyncio
import itertools
import signal
from pathlib import Path

import structlog
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from services.ingest import replay as replaying
from shared import kafka, logs, metrics, topics
from shared.brokerwatch import BrokerWatch
from shared.records import Article
from shared.settings import Settings

log = structlog.get_logger(__name__)

REPLAYED = Counter("wirewatch_ingest_replayed_articles_total", "Articles published by replay.")


class KafkaPublisher:
    """Publishes articles keyed by feed. ``wait=True`` returns only once the broker
    acknowledged (the poller marks an article seen only after that); ``wait=False``
    pipelines sends and waits per batch (replay)."""

    def __init__(self, producer: AIOKafkaProducer, *, wait: bool, batch: int = 1000) -> None:
        self._producer = producer
        self._wait = wait
        self._batch = batch
        self._pending: list[asyncio.Future[object]] = []

    async def __call__(self, article: Article) -> None:
        # Keyed by feed: one feed's items stay in order through the tagger, so the
        # article that breaks a story founds it (ids are unique; dedup is ingest's job).
        key, value = article.feed.encode(), article.dumps()
        if self._wait:
            await self._producer.send_and_wait(topics.ARTICLES.name, value, key=key)
            return
        self._pending.append(await self._producer.send(topics.ARTICLES.name, value, key=key))
        if len(self._pending) >= self._batch:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def _started_producer(settings: Settings) -> AIOKafkaProducer:
    await kafka.ensure_topics(settings)
    return await kafka.start_producer(settings, "producer")


async def run(settings: Settings) -> None:
    """Poll the configured feeds until SIGTERM/SIGINT."""
    from services.ingest.pipeline import Ingestor  # noqa: PLC0415 - keeps `replay` light

    logs.setup(settings, "ingest")
    producer = await _started_producer(settings)
    ingestor = Ingestor(settings, KafkaPublisher(producer, wait=True))
    runner = await metrics.serve(settings.host, settings.ingest_port, ingestor.ready)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    log.info("ingest_started", feeds_file=str(settings.feeds_file), port=settings.ingest_port)
    watch = asyncio.create_task(BrokerWatch(settings.kafka_bootstrap).run())
    try:
        await ingestor.run(stop)
    finally:
        watch.cancel()
        await producer.stop()
        await runner.cleanup()
        log.info("ingest_stopped")


async def replay(
    settings: Settings, archives: list[Path], speed: float, max_gap_s: float, interval_s: float
) -> int:
    """Publish the seeds (no archives given) or the given JSONL archives, then exit."""
    logs.setup(settings, "ingest-replay")
    try:
        seeds = [] if archives else replaying.load_seeds(settings.seeds_dir)
    except (OSError, replaying.ArchiveError) as exc:
        log.error("replay_input_invalid", error=str(exc))
        return 2
    # Archives are streamed line by line: memory stays flat however large they are.
    articles = itertools.chain(seeds, *(replaying.load_archive(path) for path in archives))
    producer = await _started_producer(settings)
    publisher = KafkaPublisher(producer, wait=False)

    published = 0

    async def publish(article: Article) -> None:
        nonlocal published
        await publisher(article)
        REPLAYED.inc()
        published += 1
        if speed > 0 or interval_s > 0:
            await publisher.flush()

    try:
        count = await replaying.replay(
            articles, publish, speed=speed, max_gap_s=max_gap_s, interval_s=interval_s
        )
        await publisher.flush()
    except (OSError, replaying.ArchiveError) as exc:
        await publisher.flush()
        log.error("replay_input_invalid", error=str(exc), published=published)
        return 2
    finally:
        await producer.stop()
    log.info("replay_done", articles=count, speed=speed)
    return 0
