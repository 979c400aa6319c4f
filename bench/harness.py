"""The pipeline as processes, for the benchmark and the chaos tests: the embedded broker,
tagger → stories → alerting started with their production commands, a loopback webhook
receiver that verifies signatures and counts distinct idempotency keys, metric scrapes,
first record times, and per-process peak memory and CPU time from ``/proc``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from aiohttp import web
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from services.alerting.signing import verify
from services.stack.processes import ServiceProcess
from shared.broker import EmbeddedBroker, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0wMQ=="
STAGES = ("tagger", "stories", "alerting")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- waiting -------------------------------------------------------------------------------


async def wait_for(
    cond: Callable[[], bool | Awaitable[bool]], timeout: float, what: str, every: float = 0.1
) -> float:
    """Poll ``cond`` until true; returns the seconds it took; raises after ``timeout``."""
    t0 = time.monotonic()
    while True:
        ok = cond()
        if not isinstance(ok, bool):
            ok = await ok
        if ok:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(every)


# --- /proc and /metrics ------------------------------------------------------------------


def proc_status(pid: int, key: str) -> int | None:
    """A ``kB`` field of /proc/PID/status (VmHWM: peak RSS), in bytes; None if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


def scrape(url: str, timeout: float = 5.0) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def metric_sum(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    return sum(v for (n, _), v in samples.items() if n == name)


# --- the webhook receiver ------------------------------------------------------------------


class Delivery(NamedTuple):
    """What the receiver keeps of one delivery: plain strings and numbers, not the body,
    so the benchmark's own garbage collector has little to scan (whole bodies made its
    full collections take up to ~190 ms, which showed up as alert latency)."""

    key: str  # webhook-id, the idempotency key
    at: float  # arrival, time.time()
    subscription: str
    article: str  # article id ("" in a digest)
    story: str  # story id ("" in a digest)
    revision: int


@dataclass
class Receiver:
    """Loopback webhook receiver: verifies the Standard Webhooks signature, records each
    delivery (see ``Delivery``) and answers 200."""

    secret: str = SECRET
    port: int = field(default_factory=free_port)
    deliveries: list[Delivery] = field(default_factory=list)
    keys: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        now = time.time()
        try:
            verify(self.secret, request.headers, raw)
        except Exception:
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=400)
        key = request.headers.get("webhook-id", "")
        self.keys[key] += 1
        data = json.loads(raw)["data"]
        self.deliveries.append(
            Delivery(
                key,
                now,
                data.get("subscription", ""),
                (data.get("article") or {}).get("id", ""),  # a digest has neither
                (data.get("story") or {}).get("id", ""),
                (data.get("story") or {}).get("revision", 0),
            )
        )
        return web.json_response({"ok": True})

    async def start(self) -> Receiver:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.add_routes([web.post("/hook", self._hook)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    @property
    def distinct(self) -> int:
        return len(self.keys)

    @property
    def duplicates(self) -> int:
        return sum(self.keys.values()) - len(self.keys)


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


# --- the pipeline as processes -----------------------------------------------------------


@dataclass
class Pipeline:
    """Broker + services; ``env`` is what every service gets. Always ``stop()`` it."""

    workdir: Path
    subscriptions_file: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    broker: EmbeddedBroker | None = None
    procs: dict[str, ServiceProcess] = field(default_factory=dict)

    def start_broker(self) -> EmbeddedBroker:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.broker = EmbeddedBroker(log_file=self.workdir / "broker.log").start()
        return self.broker

    @property
    def bootstrap(self) -> str:
        assert self.broker is not None
        return self.broker.bootstrap

    @property
    def env(self) -> dict[str, str]:
        return {
            "WIREWATCH_KAFKA_BOOTSTRAP": self.bootstrap,
            "WIREWATCH_KAFKA_IDEMPOTENCE": "false",
            "WIREWATCH_ALLOW_HOSTS": '["127.0.0.1"]',
            "WIREWATCH_SUBSCRIPTIONS_FILE": str(self.subscriptions_file),
            "WIREWATCH_DATA_DIR": str(self.workdir / "var"),
            "WIREWATCH_LOG_FORMAT": "json",
            "WIREWATCH_LOG_LEVEL": "warning",
            **self.extra_env,
        }

    def start(self, name: str, argv: list[str] | None = None) -> ServiceProcess:
        old = self.procs.get(name)
        port = old.port if old else free_port()
        proc = ServiceProcess(
            name, self.env, port, self.workdir / f"{name}.log", argv=argv or []
        ).start()
        self.procs[name] = proc
        return proc

    async def start_services(
        self, names: tuple[str, ...] = STAGES, timeout: float = 120
    ) -> dict[str, float]:
        for name in names:
            self.start(name)
        ready = {}
        for name in names:
            ready[name] = await asyncio.to_thread(self.procs[name].wait_ready, timeout)
        return ready

    def metrics(self, name: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return scrape(self.procs[name].url("/metrics"))

    def count(self, name: str, metric: str) -> float:
        """A counter summed over its labels; -1 while the service does not answer."""
        try:
            return metric_sum(self.metrics(name), metric)
        except OSError:
            return -1.0

    def updates_seen(self) -> float:
        return self.count("alerting", "wirewatch_alerting_story_updates_total")

    def peak_rss(self) -> dict[str, int | None]:
        return {
            name: proc_status(p.proc.pid, "VmHWM") if p.proc else None
            for name, p in self.procs.items()
        }

    def cpu(self) -> dict[str, float | None]:
        return {name: cpu_seconds(p.proc.pid) if p.proc else None for name, p in self.procs.items()}

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            with contextlib.suppress(Exception):
                proc.stop(grace=10)
        if self.broker:
            self.broker.stop()


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
