"""A frozen broker gives one clear log line and a gauge, and its return another."""

from __future__ import annotations

import os
import signal

from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from shared.broker import EmbeddedBroker
from shared.brokerwatch import BrokerWatch


async def test_outage_is_logged_once_and_its_end_too(broker: EmbeddedBroker) -> None:
    watch = BrokerWatch(broker.bootstrap, timeout_s=1.0)
    assert await watch.check()
    assert broker.pid is not None
    os.kill(broker.pid, signal.SIGSTOP)
    try:
        with capture_logs() as frozen:
            assert not await watch.check()
            assert not await watch.check()
        assert REGISTRY.get_sample_value("wirewatch_broker_reachable") == 0
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    with capture_logs() as back:
        assert await watch.check()
    assert [e["event"] for e in frozen] == ["broker_unreachable"]
    assert [e["event"] for e in back] == ["broker_reachable"]
    assert back[0]["outage_s"] >= 1.0
    assert REGISTRY.get_sample_value("wirewatch_broker_reachable") == 1
