"""``make run``, then ``make replay``: the stack (every service as a process, the embedded
broker, the console subscriber) prints the seed alerts; a replay started with no broker
setting finds the stack in ``<data_dir>/stack.json`` and the same alerts arrive again,
as repeats under the same idempotency keys. The running alerting API refuses a webhook
to the cloud metadata address with 422 naming the field and the rule. When the stack
stops, its record goes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from shared import stackfile
from shared.broker import free_port
from shared.settings import ROOT

pytestmark = pytest.mark.e2e

TOKEN = {"Authorization": "Bearer e2e-token"}
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SEED_ALERTS = 2  # the seeds raise two alerts for 'musk-and-altman' (README, "Two commands")


async def _lines(stream: asyncio.StreamReader, seen: list[str], until: int, what: str) -> None:
    async with asyncio.timeout(240):
        while sum(what in line for line in seen) < until:
            raw = await stream.readline()
            if not raw:
                raise AssertionError("the stack exited:\n" + "\n".join(seen[-30:]))
            seen.append(raw.decode(errors="replace").rstrip())


async def test_make_replay_after_make_run_repeats_the_seed_alerts(tmp_path: Path) -> None:
    console = free_port()
    subs = tmp_path / "subscriptions.yaml"
    shipped = (ROOT / "config" / "subscriptions.yaml").read_text(encoding="utf-8")
    assert "127.0.0.1:8099" in shipped
    subs.write_text(shipped.replace("127.0.0.1:8099", f"127.0.0.1:{console}"))
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env |= {
        "WIREWATCH_DATA_DIR": str(data),
        "WIREWATCH_SUBSCRIPTIONS_FILE": str(subs),
        "WIREWATCH_API_TOKENS": '["e2e-token"]',
        **{f"WIREWATCH_{name}_PORT": str(free_port())
           for name in ("INGEST", "TAGGER", "STORIES", "ALERTING", "DASHBOARD")},
    }  # fmt: skip
    stack = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.stack", "--timeout", "300", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert stack.stdout is not None
    seen: list[str] = []
    try:
        await _lines(stack.stdout, seen, SEED_ALERTS, "ALERT new")
        record = stackfile.read(data)
        assert record is not None and record.embedded and record.pid == stack.pid
        # `make replay` is this command (Makefile: replay --interval 0.5 $(ARGS))
        replay = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.ingest", "replay", "--interval", "0.5", cwd=ROOT,
            env={k: v for k, v in env.items() if "PORT" not in k},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(replay.communicate(), 120)
        assert replay.returncode == 0, err.decode()
        assert b"Traceback" not in err and b"Unclosed" not in err, err.decode()
        assert err.count(b"idempotence_unavailable") == 1, err.decode()
        await _lines(stack.stdout, seen, SEED_ALERTS, "(repeat, same idempotency key)")
        first = sorted(line.split("  story ")[1].split(" ")[0] for line in seen
                       if line.startswith("ALERT") and "repeat" not in line)  # fmt: skip
        again = sorted(line.split("  story ")[1].split(" ")[0] for line in seen
                       if line.startswith("ALERT") and "repeat" in line)  # fmt: skip
        assert again == first, seen
        api = f"http://127.0.0.1:{env['WIREWATCH_ALERTING_PORT']}/subscriptions"
        unsafe = {"id": "metadata", "query": "@openai", "channel": {"type": "webhook",
                  "url": "http://169.254.169.254/latest", "secret": SECRET}}  # fmt: skip
        async with httpx.AsyncClient(timeout=15) as client:
            answer = await client.post(api, json=unsafe, headers=TOKEN)
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"] == (
                "invalid subscription: field 'channel.url': 169.254.169.254 is a cloud "
                "metadata address"
            )
            listed = (await client.get(api)).json()["subscriptions"]
            assert [s["id"] for s in listed] == ["musk-and-altman"]
    finally:
        if stack.returncode is None:
            stack.send_signal(signal.SIGINT)
            await asyncio.wait_for(stack.wait(), 60)
    assert not stackfile.path(data).exists(), "the stack removes its record when it stops"
