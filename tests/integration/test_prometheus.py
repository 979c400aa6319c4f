"""The dashboards and alert rules against a real Prometheus scraping the real services.

The embedded broker, every service as a process with its production command, loopback
feeds (a good one that repeats its items, one failing), a loopback webhook receiver
(one subscription accepted, one refused, one failing once), the seeds replayed with
``python -m services.ingest replay``, a poison value on the articles topic and a read
of the subscriptions API. The
Debian ``prometheus`` binary scrapes them every second with deploy/prometheus's
config (targets moved to loopback) and rules. Then every dashboard panel's PromQL and
every rule's expression is evaluated through ``/api/v1/query``: each must parse, each
panel must return data, every metric a query names must be exported, and the rules
must evaluate healthy inside Prometheus itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiokafka import AIOKafkaProducer

from services.alerting.signing import new_secret
from services.ingest.replay import load_seeds
from services.stack.processes import SERVICES
from shared.broker import EmbeddedBroker, free_port, wait_for_port
from shared.settings import ROOT
from tests.support.feeds import rss, serve
from tests.support.receivers import Receiver
from tests.support.records import webhook_subscription
from tests.support.services import processes, replay_seeds, service_env, start_all
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(180)]

DEPLOY = ROOT / "deploy"
# What Grafana fills in; the windows fit a test that has run for about a minute.
GRAFANA_VARIABLES = {"$__rate_interval": "30s", "$__interval": "5s", "$__range": "5m"}
METRIC_NAME = re.compile(r"\b((?:wirewatch|faust)_[a-z0-9_]+|wirewatch:[a-z0-9_:]+)\b")
TRAPS = ("003", "004", "005")


# --- helpers -------------------------------------------------------------------------------


class Prometheus:
    """The real ``prometheus`` binary on a free loopback port."""

    def __init__(self, config: Path, data: Path, log: Path) -> None:
        binary = shutil.which("prometheus")
        assert binary, "prometheus missing: `make test` installs the Debian package"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [binary, f"--config.file={config}", f"--storage.tsdb.path={data}",
                 f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.log = log

    def api(self, path: str, **params: str) -> dict[str, Any]:
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:  # 400/422: the query did not parse/evaluate
            return dict(json.loads(exc.read()))

    def query(self, expr: str) -> dict[str, Any]:
        return self.api("query", query=expr)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def grafana(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def panel_queries() -> list[tuple[str, str]]:
    return [
        (f"{path.name}: {panel['title']} [{target['refId']}]", grafana(target["expr"]))
        for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    ]


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "rules" / "wirewatch.yml").read_text())
    return [rule for group in groups["groups"] for rule in group["rules"]]


def scrape_config(ports: dict[str, int], rule_files: list[str]) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with its targets on loopback, scraped every second."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s",
                        "evaluation_interval": "1s"}  # fmt: skip
    config["rule_files"] = rule_files
    seen = set()
    for job in config["scrape_configs"]:
        for group in job["static_configs"]:
            service = group["labels"]["service"]
            group["targets"] = [f"127.0.0.1:{ports[service]}"]
            seen.add(service)
    assert seen == set(ports), "deploy/prometheus/prometheus.yml must scrape every service"
    return config


async def poison(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait("wirewatch.articles", b"{not json", key=b"poison")
    finally:
        await producer.stop()


LAGGED = {"tagger", "stories", "alerting", "dashboard"}  # the Faust workers


def lag_services(result: dict[str, Any]) -> set[str]:
    if result.get("status") != "success":
        return set()
    return {s["metric"]["service"] for s in result["data"]["result"]}


def has_data(result: dict[str, Any]) -> bool:
    return result.get("status") == "success" and bool(result["data"]["result"])


# --- the test ------------------------------------------------------------------------------


@pytest.fixture
async def loopback() -> AsyncIterator[dict[str, Any]]:
    """Feeds (one listing each item twice, one answering 500) and a webhook receiver
    (/hook accepts, /gone refuses, /flaky fails once)."""
    traps = [a for a in load_seeds(ROOT / "seeds") if any(f"/{n}-" in a.url for n in TRAPS)]
    body = rss(traps + traps)  # the repeats are exact duplicates for ingest's dedup

    async def feed(request: web.Request) -> web.Response:
        if request.path == "/broken.rss":
            return web.Response(status=500, text="broken on purpose")
        return web.Response(body=body, content_type="application/rss+xml")

    def answer(path: str) -> int:
        if path == "/gone":
            return 410
        if path == "/flaky" and receiver.paths.count("/flaky") == 1:
            return 503
        return 200

    receiver = await Receiver(new_secret(), answer=answer).start()
    app = web.Application()
    app.add_routes([web.get("/{name}.rss", feed)])
    runner, port = await serve(app)
    try:
        yield {"feeds": f"http://127.0.0.1:{port}", "receiver": receiver}
    finally:
        await runner.cleanup()
        await receiver.stop()


async def test_dashboards_and_rules_on_real_prometheus(
    broker: EmbeddedBroker, tmp_path: Path, loopback: dict[str, Any]
) -> None:
    base, receiver = loopback["feeds"], loopback["receiver"]
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump({"feeds": [
        {"url": f"{base}/good.rss", "name": "Good"},
        {"url": f"{base}/broken.rss", "name": "Broken"},
    ]}))  # fmt: skip
    secret = receiver.secret
    hook, gone, flaky = (receiver.url_for(p) for p in ("/hook", "/gone", "/flaky"))
    (tmp_path / "subscriptions.yaml").write_text(yaml.safe_dump({"subscriptions": [
        webhook_subscription("musk-and-altman", "@elon_musk AND @sam_altman", hook, secret),
        webhook_subscription("altman-gone", "@sam_altman", gone, secret),
        webhook_subscription("openai-flaky", "@openai", flaky, secret),
    ]}))  # fmt: skip
    env = service_env(
        broker.bootstrap,
        tmp_path,
        subscriptions=tmp_path / "subscriptions.yaml",
        feeds=tmp_path / "feeds.yaml",
        extra={"WIREWATCH_DELIVERY_SCHEDULE_S": "[0.5]"},  # retry /flaky soon
    )
    procs = processes(SERVICES, env, tmp_path)
    config = scrape_config({n: p.port for n, p in procs.items()},
                           [str(DEPLOY / "prometheus" / "rules" / "wirewatch.yml")])  # fmt: skip
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    prom = Prometheus(tmp_path / "prometheus.yml", tmp_path / "tsdb", tmp_path / "prometheus.log")
    try:
        await asyncio.to_thread(wait_for_port, "127.0.0.1", prom.port, 30.0)
        await start_all(procs.values())
        await replay_seeds(env)
        await poison(broker.bootstrap)

        # Dead letters: one now, one once Prometheus has tagger's series, so the rule's
        # increase() sees that counter grow. Alerting's refused delivery (/gone) exports
        # a dead-letter series of its own, so "any series" is not tagger's.
        await wait_for(lambda: TAGGER_POISONED in dead_letter_series(prom),
                       30, "tagger's first dead letter in Prometheus", in_thread=True)  # fmt: skip
        await poison(broker.bootstrap)
        await wait_for(lambda: "/hook" in receiver.paths, 30, "a delivered alert")
        await wait_for(lambda: "/gone" in receiver.paths, 30, "a refused alert")
        await wait_for(lambda: receiver.paths.count("/flaky") >= 2, 30, "a retried alert")
        listing = procs["alerting"].url("/subscriptions")
        api = await asyncio.to_thread(urllib.request.urlopen, listing, None, 5)
        assert api.status == 200
        api.close()

        queries = panel_queries()
        # Give every panel the time to have data (rate() needs two scrapes of a series);
        # the assertions below name the panels that still have none.
        with contextlib.suppress(TimeoutError):
            await wait_for(lambda: all(has_data(prom.query(e)) for _, e in queries), 30,
                           "every panel's data", every=0.5, in_thread=True)  # fmt: skip
        # every worker's lag, not just the first one recorded: a worker's series appear
        # after its first commit, and a CI run checked while two were still missing
        await wait_for(
            lambda: lag_services(prom.query("wirewatch:consumer_lag:sum")) >= LAGGED,
            60,
            "recorded lag of every worker",
            every=0.5,
            in_thread=True,
        )
        # The rule must hold tagger's series, not only alerting's: poison until it does
        # (under load the rule can take a few evaluations to see the counter grow).
        deadline = time.monotonic() + 90
        while not await asyncio.to_thread(dead_letter_rule_holds_tagger, prom):
            assert time.monotonic() < deadline, (
                f"the dead-letter rule never held {TAGGER_POISONED} in 90s: "
                f"it holds {sorted(dead_letter_pairs(prom.query(DEAD_LETTER_RULE)))}"
            )
            await poison(broker.bootstrap)
            await asyncio.sleep(5)
        results, rule_results, names, rule_health, alerts_firing, up = await asyncio.to_thread(
            evaluate, prom, queries
        )
    finally:
        prom.stop()
        for proc in procs.values():
            proc.stop()

    failures = [f"{n}: {r.get('error', 'no data')}" for n, r in results.items() if not has_data(r)]
    assert not failures, "panels without data:\n" + "\n".join(failures)
    for name, result in rule_results.items():
        assert result["status"] == "success", f"{name}: {result.get('error')}"
    exprs = [expr for _, expr in queries] + [r["expr"] for r in rules()]
    named = {m for expr in exprs for m in METRIC_NAME.findall(expr)}
    unknown = {n for n in named if n not in names and f"{n}_bucket" not in names}
    assert not unknown, f"queries name metrics nobody exports: {sorted(unknown)}"
    assert set(SERVICES) == {
        s["metric"]["service"] for s in up["data"]["result"] if s["value"][1] == "1"
    }
    # The rules work inside Prometheus, and say what this run did and did not do.
    assert len(rule_health) == len(rules())
    assert all(health == "ok" for _, health, _ in rule_health), rule_health
    assert "WirewatchDeadLetters" in alerts_firing
    assert not alerts_firing & {"WirewatchServiceDown", "WirewatchFeedsParked"}
    assert not has_data(rule_results["WirewatchServiceDown"])
    assert TAGGER_POISONED in dead_letter_pairs(rule_results["WirewatchDeadLetters"])
    assert lag_services(rule_results["wirewatch:consumer_lag:sum"]) >= LAGGED


def evaluate(prom: Prometheus, queries: list[tuple[str, str]]) -> tuple[Any, ...]:
    results = {name: prom.query(expr) for name, expr in queries}
    rule_results = {r.get("alert") or r["record"]: prom.query(r["expr"]) for r in rules()}
    names = set(prom.api("label/__name__/values")["data"])
    rule_health = [
        (rule["name"], rule["health"], rule.get("lastError", ""))
        for group in prom.api("rules")["data"]["groups"]
        for rule in group["rules"]
    ]
    up = prom.query('up{job="wirewatch"}')
    return results, rule_results, names, rule_health, firing(prom), up


TAGGER_POISONED = ("tagger", "wirewatch.articles")  # the poison values' dead letters


def dead_letter_pairs(result: dict[str, Any]) -> set[tuple[str, str]]:
    if result.get("status") != "success":
        return set()
    return {(s["metric"]["service"], s["metric"]["topic"]) for s in result["data"]["result"]}


def dead_letter_series(prom: Prometheus) -> set[tuple[str, str]]:
    return dead_letter_pairs(prom.query("wirewatch_dead_letters_total"))


def dead_letter_rule() -> str:
    return next(r["expr"] for r in rules() if r.get("alert") == "WirewatchDeadLetters")


DEAD_LETTER_RULE = dead_letter_rule()


def dead_letter_rule_holds_tagger(prom: Prometheus) -> bool:
    """What the assertions below check: the rule's result holds tagger's series and the
    alert fires for it."""
    firing_pairs = {
        (a["labels"].get("service"), a["labels"].get("topic"))
        for a in prom.api("alerts")["data"]["alerts"]
        if a["state"] == "firing" and a["labels"]["alertname"] == "WirewatchDeadLetters"
    }
    return (
        TAGGER_POISONED in dead_letter_pairs(prom.query(DEAD_LETTER_RULE))
        and TAGGER_POISONED in firing_pairs
    )


def firing(prom: Prometheus) -> set[str]:
    return {
        a["labels"]["alertname"]
        for a in prom.api("alerts")["data"]["alerts"]
        if a["state"] == "firing"
    }
