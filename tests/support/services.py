"""The services under test as processes, started with their production commands, and the
one environment they all get."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from services.stack.processes import ServiceProcess
from shared.broker import EmbeddedBroker, free_port

STAGES = ("tagger", "stories", "alerting")  # the Faust workers after ingest, in order
API_TOKEN = "test-token-0123456789"  # the alerting API's bearer token in tests

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def service_env(
    bootstrap: str,
    workdir: Path,
    *,
    subscriptions: Path | None = None,
    feeds: Path | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Settings for a service under test: the given broker with idempotence off (Tansu
    rejects InitProducerId), loopback targets allowed, state under ``workdir/var``, JSON
    logs; ``extra`` adds or overrides settings."""
    env = {
        "WIREWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "WIREWATCH_KAFKA_IDEMPOTENCE": "false",
        "WIREWATCH_ALLOW_HOSTS": '["127.0.0.1"]',
        "WIREWATCH_DATA_DIR": str(workdir / "var"),
        "WIREWATCH_LOG_FORMAT": "json",
    }
    if subscriptions is not None:
        env["WIREWATCH_SUBSCRIPTIONS_FILE"] = str(subscriptions)
    if feeds is not None:
        env["WIREWATCH_FEEDS_FILE"] = str(feeds)
    return {**env, **(extra or {})}


def scrape(url: str, timeout: float = 5.0) -> Samples:
    """Every sample of a ``/metrics`` page, by (name, sorted labels)."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def metric_sum(samples: Samples, name: str) -> float:
    return sum(v for (n, _), v in samples.items() if n == name)


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


def processes(
    names: Iterable[str],
    env: Mapping[str, str],
    workdir: Path,
    ports: Mapping[str, int] | None = None,
) -> dict[str, ServiceProcess]:
    """Each named service as a process with its production command (not started), on a
    free port unless ``ports`` names one, logging to ``workdir/NAME.log``."""
    ports = ports or {}
    return {
        name: ServiceProcess(
            name, dict(env), ports.get(name) or free_port(), workdir / f"{name}.log"
        )
        for name in names
    }


async def start_all(procs: Iterable[ServiceProcess], timeout: float = 120.0) -> None:
    """Start every process, then wait until each answers ``/ready`` (they start together)."""
    started = [proc.start() for proc in procs]
    for proc in started:
        await asyncio.to_thread(proc.wait_ready, timeout)


async def replay_seeds(env: Mapping[str, str], *args: str) -> None:
    """``python -m services.ingest replay ARGS`` (the seeds unless ARGS name archives) into
    ``env``'s broker; fails the test unless it exits 0."""
    replay = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.ingest", "replay", *args, env={**os.environ, **env}
    )
    assert await replay.wait() == 0, "replay failed"


@dataclass
class Alerting:
    """The alerting worker process, its subscriptions file and its environment."""

    broker: EmbeddedBroker
    tmp: Path
    subs: list[dict[str, Any]]
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: ServiceProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        return service_env(
            self.broker.bootstrap,
            self.tmp,
            subscriptions=self.tmp / "subscriptions.yaml",
            extra={
                "WIREWATCH_API_TOKENS": json.dumps([API_TOKEN]),
                "WIREWATCH_ALERTING_TICK_S": "0.2",
                **self.extra_env,
            },
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> Alerting:
        (self.tmp / "subscriptions.yaml").write_text(yaml.safe_dump({"subscriptions": self.subs}))
        self.proc = ServiceProcess("alerting", self.env, self.port, self.tmp / "alerting.log")
        self.proc.start()
        await asyncio.to_thread(self.proc.wait_ready, 60.0)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def log_tail(self) -> str:
        return self.proc.tail(40) if self.proc else ""


@dataclass
class Pipeline:
    """Its own broker and services; ``env`` is what every service gets. Always ``stop()``."""

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
        return service_env(
            self.bootstrap,
            self.workdir,
            subscriptions=self.subscriptions_file,
            extra={"WIREWATCH_LOG_LEVEL": "warning", **self.extra_env},
        )

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

    def metrics(self, name: str) -> Samples:
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
