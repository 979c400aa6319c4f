"""What the benchmarks measure around the pipeline: the first record time on a topic, and
the production replay run with its peak memory. The pipeline itself (processes, the
webhook receiver, waiting) is ``tests.support``, shared with the tests and chaos."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0wMQ=="


# --- Kafka helpers -------------------------------------------------------------------------


async def first_timestamp(bootstrap: str, topic: str, timeout: float = 10.0) -> float:
    """The earliest record timestamp (seconds) over all partitions of ``topic``."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    first: dict[int, float] = {}
    try:
        deadline = time.monotonic() + timeout
        parts = consumer.partitions_for_topic(topic) or set()
        while time.monotonic() < deadline and len(first) < max(1, len(parts)):
            batch = await consumer.getmany(timeout_ms=300, max_records=50)
            for tp, records in batch.items():
                if records and tp.partition not in first:
                    first[tp.partition] = records[0].timestamp / 1000
                    consumer.pause(tp)
            parts = consumer.partitions_for_topic(topic) or parts
    finally:
        await consumer.stop()
    if not first:
        raise TimeoutError(f"no record on {topic}")
    return min(first.values())


# --- the production replay -------------------------------------------------------------


async def replay(
    env: dict[str, str], archive: Path, log: Path, *args: str, timeout: float = 900
) -> tuple[int, int | None, float]:
    """Run ``python -m services.ingest replay ARCHIVE`` (the production command); returns
    (exit code, peak RSS in bytes from wait4, seconds)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    t0 = time.monotonic()
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220 - starting is quick; wait4 below needs a plain child
            [sys.executable, "-m", "services.ingest", "replay", str(archive), *args],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # noqa: ASYNC222 - WNOHANG
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return proc.returncode, usage.ru_maxrss * 1024, time.monotonic() - t0
            if time.monotonic() > deadline:
                raise TimeoutError(f"replay still running after {timeout}s")
            await asyncio.sleep(0.1)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
