"""A frozen broker gives one clear log line and a gauge, and its return another."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from shared.broker import EmbeddedBroker
from shared.brokerwatch import BrokerWatch
from tests.support.waiting import wait_for


def stopped(pid: int) -> bool:
    """Whether every thread of ``pid`` is stopped. SIGSTOP is delivered asynchronously: a
    thread of the broker that is running on the other core can still answer a request
    before it stops (seen in CI: the check right after the signal got its metadata)."""
    tasks = Path(f"/proc/{pid}/task")
    states = [(t / "stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks.iterdir()]
    return bool(states) and all(state in "tT" for state in states)


async def test_outage_is_logged_once_and_its_end_too(broker: EmbeddedBroker) -> None:
    watch = BrokerWatch(broker.bootstrap, timeout_s=1.0)
    assert await watch.check()
    pid = broker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        await wait_for(lambda: stopped(pid), 5.0, "every broker thread stopped")
        with capture_logs() as frozen:
            assert not await watch.check()
            assert not await watch.check()
        assert REGISTRY.get_sample_value("wirewatch_broker_reachable") == 0
    finally:
        os.kill(pid, signal.SIGCONT)
    with capture_logs() as back:
        assert await watch.check()
    assert [e["event"] for e in frozen] == ["broker_unreachable"]
    assert [e["event"] for e in back] == ["broker_reachable"]
    assert back[0]["outage_s"] >= 1.0
    assert REGISTRY.get_sample_value("wirewatch_broker_reachable") == 1
