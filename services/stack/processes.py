"""Service processes: start one with its production command, wait until its ``/ready``
answers, stop it with SIGTERM (SIGKILL after a grace period). Used by ``make run`` and
by the end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = {
    "tagger": ["-m", "services.tagger", "worker"],
    "stories": ["-m", "services.stories", "worker"],
    "alerting": ["-m", "services.alerting", "worker"],
    "ingest": ["-m", "services.ingest", "run"],
    "dashboard": ["-m", "services.dashboard", "worker"],
}
PORT_SETTING = {
    "ingest": "WIREWATCH_INGEST_PORT",
    "tagger": "WIREWATCH_TAGGER_PORT",
    "stories": "WIREWATCH_STORIES_PORT",
    "alerting": "WIREWATCH_ALERTING_PORT",
    "dashboard": "WIREWATCH_DASHBOARD_PORT",
}


class ServiceFailed(RuntimeError):
    """A service exited or did not become ready; the message holds its log's tail."""


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    port: int
    log_path: Path
    argv: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> ServiceProcess:
        argv = self.argv or [sys.executable, *SERVICES[self.name]]
        env = {**os.environ, **self.env, PORT_SETTING.get(self.name, "_"): str(self.port)}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Block until ``/ready`` answers 200; returns seconds since start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise ServiceFailed(f"{self.name} exited early:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url("/ready"), timeout=1) as resp:  # noqa: S310 - loopback
                    if resp.status == 200:
                        return time.monotonic() - self.started_at
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise ServiceFailed(f"{self.name} not ready after {timeout}s:\n{self.tail()}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, grace: float = 15.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
