"""``python -m services.ingest replay`` (what ``make replay`` runs) finds the running
stack's broker in ``<data_dir>/stack.json`` and publishes into it; on Tansu, which
rejects InitProducerId, idempotence ``auto`` says so in one line and goes on, ``true``
stops with that line; with no broker anywhere, one line says how to start one. Never a
traceback. The broker is the real embedded Tansu."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.ingest.replay import load_seeds
from shared import stackfile, topics
from shared.broker import EmbeddedBroker
from shared.settings import ROOT


def replay(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env |= {"WIREWATCH_DATA_DIR": str(data_dir), "WIREWATCH_KAFKA_CONNECT_ATTEMPTS": "3"}
    return subprocess.run(
        [sys.executable, "-m", "services.ingest", "replay", *args],
        env=env | extra, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream and "Unclosed" not in stream, stream


async def articles_on(bootstrap: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    try:
        tps = [TopicPartition(topics.ARTICLES.name, p) for p in range(topics.ARTICLES.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        values: list[bytes] = []
        async with asyncio.timeout(20):
            while len(values) < len(load_seeds(ROOT / "seeds")):
                batch = await consumer.getmany(timeout_ms=500)
                values += [r.value for records in batch.values() for r in records if r.value]
        return values
    finally:
        await consumer.stop()


async def test_replay_finds_the_stack_and_goes_on_without_idempotence(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    stackfile.write(tmp_path, broker.bootstrap, embedded=True)  # as `make run` does
    done = await asyncio.to_thread(replay, tmp_path, "--interval", "0")
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "idempotence_unavailable" in line]
    assert len(said) == 1, done.stderr
    assert "InitProducerId" in said[0] and broker.bootstrap in said[0]
    assert "replay_done" in done.stderr
    values = await articles_on(broker.bootstrap)
    seeds = load_seeds(ROOT / "seeds")
    assert sorted(json.loads(v)["id"] for v in values) == sorted(a.id for a in seeds)


async def test_idempotence_true_stops_with_one_line(broker: EmbeddedBroker, tmp_path: Path) -> None:
    stackfile.write(tmp_path, broker.bootstrap, embedded=True)
    done = await asyncio.to_thread(replay, tmp_path, WIREWATCH_KAFKA_IDEMPOTENCE="true")
    no_traceback(done)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        f"wirewatch: the broker at {broker.bootstrap} rejects idempotent producers "
        "(InitProducerId) and WIREWATCH_KAFKA_IDEMPOTENCE=true asks for them; "
        "set it to auto or false to go on without"
    )


def test_with_no_broker_anywhere_one_line_says_how_to_start_one(tmp_path: Path) -> None:
    done = replay(tmp_path)
    no_traceback(done)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "wirewatch: no Kafka broker: WIREWATCH_KAFKA_BOOTSTRAP is not set and no running stack "
        f"is recorded in {tmp_path / 'stack.json'}. Start one with `make run` "
        "(python -m services.stack), or set WIREWATCH_KAFKA_BOOTSTRAP=host:port."
    )
