"""``python -m services.stack`` — the whole pipeline on this machine (``make run``).

Starts the embedded Tansu broker unless ``WIREWATCH_KAFKA_BOOTSTRAP`` is set, the
console subscriber, then tagger, stories, alerting and ingest as separate processes
with their production commands, replays the seeds, and prints every alert. Ctrl-C
stops everything. While it runs, ``<data_dir>/stack.json`` says where its broker is
(``shared.stackfile``): ``make replay`` and every other command find it there."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from urllib.parse import urlsplit

from aiohttp import web

from services.alerting.subscriptions import WebhookChannel, load_file
from services.stack.console import receiver
from services.stack.processes import ServiceFailed, ServiceProcess
from shared import kafka, logs, stackfile
from shared import settings as settings_mod
from shared.broker import EmbeddedBroker

ORDER = ("tagger", "stories", "alerting", "dashboard", "ingest")


def say(text: str) -> None:
    print(f"wirewatch | {text}", flush=True)


async def main_async(args: argparse.Namespace) -> int:
    conf = settings_mod.load()
    logs.setup(conf.model_copy(update={"log_level": "warning"}), "stack")
    console = next(
        (
            (s, s.channel)
            for s in load_file(conf.subscriptions_file)
            if isinstance(s.channel, WebhookChannel)
            and urlsplit(s.channel.url).path == "/alerts"
            and urlsplit(s.channel.url).hostname == "127.0.0.1"
        ),
        None,
    )
    var = conf.data_dir
    broker = None
    t0 = time.monotonic()
    env = {"WIREWATCH_ALLOW_HOSTS": '["127.0.0.1"]', "WIREWATCH_DATA_DIR": str(var)}
    if conf.embedded:
        broker = EmbeddedBroker(log_file=var / "logs" / "broker.log")
        (var / "logs").mkdir(parents=True, exist_ok=True)
        broker.start()
        env |= {
            "WIREWATCH_KAFKA_BOOTSTRAP": broker.bootstrap,
            "WIREWATCH_KAFKA_IDEMPOTENCE": "false",
        }
        conf = conf.model_copy(
            update={"kafka_bootstrap": broker.bootstrap, "kafka_idempotence": "false"}
        )
        say(f"embedded Tansu broker on {broker.bootstrap} (memory-only)")
    else:
        say(f"using Kafka at {conf.kafka_bootstrap}")
    stackfile.write(var, conf.kafka_bootstrap, embedded=broker is not None)
    runner = None
    procs: list[ServiceProcess] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    alerts_seen = 0

    def out(text: str) -> None:
        nonlocal alerts_seen
        alerts_seen += text.startswith("ALERT")
        print(text, flush=True)
        if args.exit_after_alerts and alerts_seen >= args.exit_after_alerts:
            stop.set()

    try:
        await kafka.ensure_topics(conf)
        if console is not None:
            sub, hook = console
            runner = web.AppRunner(receiver(hook.secret.get_secret_value(), out), access_log=None)
            await runner.setup()
            port = urlsplit(hook.url).port or 80
            await web.TCPSite(runner, "127.0.0.1", port).start()
            say(f"console subscriber on {hook.url}")
            say(f"subscription {sub.id!r}: {sub.query}")
        ports = {
            "ingest": conf.ingest_port,
            "tagger": conf.tagger_port,
            "stories": conf.stories_port,
            "alerting": conf.alerting_port,
            "dashboard": conf.dashboard_port,
        }
        for name in ORDER:
            procs.append(
                ServiceProcess(name, env, ports[name], var / "logs" / f"{name}.log").start()
            )
        for proc in procs:
            ready_s = await asyncio.to_thread(proc.wait_ready, 120.0)
            say(f"{proc.name:<9} ready in {ready_s:4.1f}s  metrics: {proc.url('/metrics')}")
        say(f"pipeline ready in {time.monotonic() - t0:.1f}s; logs in {var / 'logs'}")
        say(f"built-in page on http://127.0.0.1:{conf.dashboard_port}/")
        if not args.no_replay:
            argv = ["-m", "services.ingest", "replay", "--speed", str(args.speed)]
            argv += ["--interval", str(args.interval)]
            with (var / "logs" / "replay.log").open("ab") as replay_log:
                replay = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *argv,
                    env={**os.environ, **env},
                    stdout=replay_log,
                    stderr=replay_log,
                )
            if await replay.wait() != 0:
                say(f"replay failed: see {var / 'logs' / 'replay.log'}")
                return 1
            say("seeds replayed; waiting for alerts (Ctrl-C to stop)")
        if args.timeout:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.timeout)
        else:
            await stop.wait()
        return 0
    except ServiceFailed as exc:
        say(f"a service failed: {exc}")
        return 1
    finally:
        say("stopping")
        for proc in reversed(procs):
            proc.stop()
        if runner is not None:
            await runner.cleanup()
        stackfile.remove(var)
        if broker is not None:
            broker.stop()
        say("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.stack", description=__doc__)
    parser.add_argument("--speed", type=float, default=0.0, help="replay speed (0 = fast)")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.5,
        help="seconds between replayed articles (default 0.5, so the demo keeps their order "
        "across partitions; 0 = use --speed)",
    )
    parser.add_argument("--no-replay", action="store_true", help="do not replay the seeds")
    parser.add_argument("--timeout", type=float, default=0.0, help="stop after N seconds")
    parser.add_argument("--exit-after-alerts", type=int, default=0, help="stop after N alerts")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
