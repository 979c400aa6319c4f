"""One clear line when the broker stops answering, and one when it is back.

The Kafka clients only log their own symptoms (request time-outs, overlapping commit
timers) during an outage. ``BrokerWatch`` asks the cluster for its metadata every few
seconds on a connection of its own; a question not answered within the time-out is an
outage, logged once as ``broker_unreachable`` (and ``broker_reachable`` when it ends),
and exported as ``wirewatch_broker_reachable``."""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from prometheus_client import Gauge

log = structlog.get_logger(__name__)

REACHABLE = Gauge(
    "wirewatch_broker_reachable", "1 while the Kafka cluster answers metadata requests, else 0."
)


class BrokerWatch:
    def __init__(self, bootstrap: str, every_s: float = 5.0, timeout_s: float = 5.0) -> None:
        self._bootstrap = bootstrap
        self._every = every_s
        self._timeout = timeout_s
        self._down_since: float | None = None
        self._client: AIOKafkaClient | None = None
        REACHABLE.set(1)

    async def check(self) -> bool:
        """Ask once; log and set the gauge on a change. True when the broker answered."""
        try:
            async with asyncio.timeout(self._timeout):
                if self._client is None:
                    self._client = AIOKafkaClient(
                        bootstrap_servers=self._bootstrap,
                        request_timeout_ms=int(self._timeout * 1000),
                    )
                    await self._client.bootstrap()
                await self._client.fetch_all_metadata()
        except (TimeoutError, KafkaError, OSError) as exc:
            if self._down_since is None:
                self._down_since = time.monotonic()
                REACHABLE.set(0)
                log.warning(
                    "broker_unreachable",
                    bootstrap=self._bootstrap,
                    error=type(exc).__name__,
                    detail="services keep their state and resume when it answers again",
                )
            return False
        if self._down_since is not None:
            log.warning(
                "broker_reachable",
                bootstrap=self._bootstrap,
                outage_s=round(time.monotonic() - self._down_since, 1),
            )
            self._down_since = None
            REACHABLE.set(1)
        return True

    async def run(self) -> None:
        """Check every ``every_s`` seconds until cancelled."""
        try:
            while True:
                await self.check()
                await asyncio.sleep(self._every)
        finally:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    await self._client.close()
