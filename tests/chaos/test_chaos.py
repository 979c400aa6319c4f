"""Fault injection on the whole pipeline, as an operator runs it: the embedded broker,
tagger → stories → alerting started with their production commands, a replay in flight
(``python -m services.ingest replay``), and a loopback webhook receiver that verifies
signatures and counts distinct idempotency keys (``webhook-id``).

Invariant checked after every fault: the subscription ``every-article`` (an alert for
every story update, i.e. one per article) received an alert for every article (none
lost), and each article under exactly one key (a repeat is only a re-send of the same
key). Figures go to CHAOS.md.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench import workload
from bench.measure import SECRET
from shared import kafka, topics
from shared.settings import Settings
from tests.support.kafka import read_all
from tests.support.receivers import Receiver
from tests.support.services import STAGES, Pipeline, metric_sum
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(400)]

ARTICLES = 900
REPLAY_S = 25.0  # the paced replay spreads the archive over about this long (~36 articles/s)
TOKEN = "chaos-test-token"
EVERY = "every-article"
PROGRESS = {
    "tagger": "wirewatch_tagger_articles_total",
    "stories": "wirewatch_story_updates_total",
    "alerting": "wirewatch_alerting_story_updates_total",
}
ENV = {
    "WIREWATCH_KAFKA_SESSION_TIMEOUT_S": "3",
    "WIREWATCH_KAFKA_HEARTBEAT_S": "0.5",
    "WIREWATCH_DELIVERY_BACKOFF_S": "0.2",
    "WIREWATCH_LOG_LEVEL": "info",
    "WIREWATCH_API_TOKENS": f'["{TOKEN}"]',
}


# --- the stack ---------------------------------------------------------------------------


class Stack:
    def __init__(self, workdir: Path, receiver: Receiver, archive: Path, ids: list[str]) -> None:
        subs = workload.subscriptions(100, receiver.url, SECRET, seed=7)
        subs.append(
            {
                "id": EVERY,
                "query": "lang:de OR lang:en",
                "channel": {"type": "webhook", "url": receiver.url, "secret": SECRET},
                "updates": {"every_articles": 1},
            }
        )
        self.subs_count = len(subs)
        self.pipe = Pipeline(
            workdir,
            workload.write_subscriptions(workdir / "subscriptions.yaml", subs),
            extra_env=ENV,
        )
        self.receiver = receiver
        self.archive = archive
        self.ids = ids
        self.replays: list[asyncio.subprocess.Process] = []
        published = [
            datetime.fromisoformat(orjson.loads(line)["published"])
            for line in archive.read_bytes().splitlines()
            if line.strip()
        ]
        span = (max(published) - min(published)).total_seconds()
        self.speed = f"{span / REPLAY_S:.1f}"  # --speed: × real time

    async def start(self) -> None:
        self.pipe.start_broker()
        await kafka.ensure_topics(Settings(kafka_bootstrap=self.pipe.bootstrap))
        await self.pipe.start_services()

    async def replay(self, *args: str) -> asyncio.subprocess.Process:
        log = (self.pipe.workdir / "replay.log").open("ab")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.ingest",
            "replay",
            str(self.archive),
            *args,
            env={**os.environ, **self.pipe.env},
            stdout=log,
            stderr=log,
        )
        log.close()
        self.replays.append(proc)
        return proc

    def count(self, name: str) -> float:
        return self.pipe.count(name, PROGRESS[name])

    def alerted(self) -> dict[str, set[str]]:
        """Article id → idempotency keys of its ``every-article`` alerts."""
        keys: dict[str, set[str]] = defaultdict(set)
        for d in self.receiver.deliveries:
            if d.subscription == EVERY:
                keys[d.article].add(d.key)
        return keys

    def complete(self) -> bool:
        alerted = self.alerted()
        return all(i in alerted for i in self.ids)

    def revisions(self, article_id: str) -> list[str]:
        """``story@revision`` of every ``every-article`` alert for one article."""
        return sorted(
            {
                f"{d.story}@{d.revision}"
                for d in self.receiver.deliveries
                if d.subscription == EVERY and d.article == article_id
            }
        )

    def figures(self) -> dict[str, Any]:
        alerted = self.alerted()
        lost = [i for i in self.ids if i not in alerted]
        extra = {i: sorted(k) for i, k in alerted.items() if len(k) > 1}
        return {
            "articles": len(self.ids),
            "expected": len(self.ids),
            "received_distinct": sum(1 for i in self.ids if i in alerted),
            "lost": len(lost),
            "extra_keys": len(extra),
            "duplicates": self.receiver.duplicates,
            "deliveries": sum(self.receiver.keys.values()),
            "distinct_keys_all_subscriptions": self.receiver.distinct,
            "bad_signatures": self.receiver.bad_signatures,
            "lost_sample": lost[:5],
            "extra_sample": {i: self.revisions(i) for i in list(extra)[:3]},
        }

    async def stop(self) -> None:
        for proc in self.replays:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        self.pipe.stop()


@pytest.fixture(scope="module")
def chaos_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = workload.write_archive(
        tmp_path_factory.mktemp("archive") / "chaos.jsonl", ARTICLES, seed=7
    )
    ids = [orjson.loads(line)["id"] for line in path.read_bytes().splitlines() if line.strip()]
    return path, ids


@pytest.fixture
async def stack(tmp_path: Path, chaos_archive: tuple[Path, list[str]]) -> AsyncIterator[Stack]:
    receiver = await Receiver(SECRET, keep_bodies=False).start()
    s = Stack(tmp_path, receiver, *chaos_archive)
    try:
        await s.start()
        yield s
    finally:
        await s.stop()
        await receiver.stop()


async def wait_all(stack: Stack, timeout: float = 150) -> list[str]:
    """Wait for an every-article alert for every article; what went wrong as notes (the
    figures then say what was lost)."""
    try:
        await wait_for(
            stack.complete, timeout, "an every-article alert for every article", every=0.5
        )
    except TimeoutError as exc:
        return [str(exc)]
    return []


def record(report: dict[str, Any], name: str, figures: dict[str, Any], ok: bool) -> None:
    figures["result"] = "pass" if ok else "**FAIL**"
    figures["ran_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report[name] = figures
    print(f"\nCHAOS {name}: {figures}")


def check(figures: dict[str, Any]) -> bool:
    return figures["lost"] == 0 and figures["extra_keys"] == 0 and figures["bad_signatures"] == 0


# --- kill -9 each service in turn -----------------------------------------------------------


@pytest.mark.parametrize("victim", ["ingest", "tagger", "stories", "alerting"])
async def test_kill_and_restart(
    stack: Stack, victim: str, chaos_report: dict[str, dict[str, Any]]
) -> None:
    pipe = stack.pipe
    created = await asyncio.to_thread(_create_subscription, pipe, stack.receiver.url)
    subs_before = await asyncio.to_thread(_subscription_ids, pipe)
    replay = await stack.replay("--speed", stack.speed)
    watched = "tagger" if victim == "ingest" else victim
    await wait_for(lambda: stack.count("alerting") >= ARTICLES // 3, 120, "a third of the stream")
    stories_before = await asyncio.to_thread(_story_ids, pipe) if victim == "stories" else set()
    t_kill = time.monotonic()
    at_kill = stack.count(watched)
    if victim == "ingest":
        replay.kill()
        await replay.wait()
        t_restart = time.monotonic()
        await stack.replay("--speed", stack.speed)  # the same command again: replays it all
        await wait_for(lambda: stack.count("tagger") > at_kill, 120, "ingest to publish again")
    else:
        pipe.procs[victim].kill()
        t_restart = time.monotonic()
        pipe.start(victim)
        await asyncio.to_thread(pipe.procs[victim].wait_ready, 120.0)
        await wait_for(lambda: stack.count(victim) > 0, 120, f"{victim} to process again")
    recover = time.monotonic() - t_kill
    notes = await wait_all(stack)
    await asyncio.sleep(2.0)  # re-sends after the last first delivery, if any
    figures = stack.figures()
    figures |= {"recover_s": recover, "restart_s": t_restart - t_kill, "killed_at": at_kill}
    if victim == "ingest":
        notes.append("replay restarted from the start (it has no resume point)")
    subs_after = await asyncio.to_thread(_subscription_ids, pipe)
    figures["subscriptions_before_after"] = [len(subs_before), len(subs_after)]
    figures["api_subscription"] = f"{created}: {created in subs_after}"
    if victim == "stories":
        after = await asyncio.to_thread(_story_ids, pipe)
        figures["stories_before_kill"] = len(stories_before)
        figures["stories_lost_by_restart"] = len(stories_before - after)
        if stories_before - after:
            notes.append("story state lost")
    figures["notes"] = "; ".join(notes)
    survived = subs_after == subs_before and created in subs_after
    ok = check(figures) and survived and not figures.get("stories_lost_by_restart")
    record(chaos_report, f"kill -9 {victim}", figures, ok)
    assert figures["lost"] == 0, f"alerts lost after kill -9 {victim}: {figures}"
    assert survived, f"subscriptions did not survive: {sorted(subs_before ^ subs_after)[:5]}"
    assert not figures.get("stories_lost_by_restart"), f"story state lost: {figures}"
    assert figures["extra_keys"] == 0, (
        f"after kill -9 {victim}, {figures['extra_keys']} articles were alerted under more than "
        f"one idempotency key (a repeat the receiver cannot recognise): {figures['extra_sample']}"
    )


def _get_json(pipe: Pipeline, name: str, path: str) -> Any:
    import urllib.request  # noqa: PLC0415

    with urllib.request.urlopen(pipe.procs[name].url(path), timeout=10) as resp:
        return orjson.loads(resp.read())


def _subscription_ids(pipe: Pipeline) -> set[str]:
    body = _get_json(pipe, "alerting", "/subscriptions")
    items = body["subscriptions"] if isinstance(body, dict) else body
    return {s["id"] for s in items}


def _create_subscription(pipe: Pipeline, url: str) -> str:
    """A subscription made through the API (kept in the subscriptions topic, not the file)."""
    import urllib.request  # noqa: PLC0415

    body = {
        "id": "api-chaos",
        "query": "@elon_musk AND @sam_altman",
        "channel": {"type": "webhook", "url": url, "secret": SECRET},
    }
    request = urllib.request.Request(
        pipe.procs["alerting"].url("/subscriptions"),
        data=orjson.dumps(body),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status in (200, 201), resp.status
    return "api-chaos"


def _story_ids(pipe: Pipeline) -> set[str]:
    return {s["id"] for s in _get_json(pipe, "stories", "/stories?limit=1000")}


# --- the broker unreachable for 30 s --------------------------------------------------------


async def test_broker_paused_30s(stack: Stack, chaos_report: dict[str, dict[str, Any]]) -> None:
    pipe = stack.pipe
    assert pipe.broker is not None and pipe.broker._proc is not None
    broker_pid = pipe.broker._proc.pid
    pids = {n: p.proc.pid for n, p in pipe.procs.items() if p.proc}
    sizes = {n: p.log_path.stat().st_size for n, p in pipe.procs.items()}
    await stack.replay("--speed", stack.speed)
    await wait_for(lambda: stack.count("alerting") >= ARTICLES // 4, 120, "a quarter of the stream")
    at_stop = stack.count("alerting")
    os.kill(broker_pid, signal.SIGSTOP)
    try:
        await asyncio.sleep(30.0)  # the fault itself: the broker is frozen for 30 s
    finally:
        os.kill(broker_pid, signal.SIGCONT)
    t_cont = time.monotonic()
    notes = []
    try:
        await wait_for(lambda: stack.count("alerting") > at_stop, 120, "alerting to move again")
        recover = time.monotonic() - t_cont
    except TimeoutError as exc:
        recover = None
        notes.append(str(exc))
    notes += await wait_all(stack)
    figures = stack.figures()
    restarted = [n for n, p in pipe.procs.items() if not p.proc or p.proc.pid != pids[n]]
    exited = [n for n, p in pipe.procs.items() if p.proc and p.proc.poll() is not None]
    logged: dict[str, int] = {}
    samples: dict[str, list[str]] = {}
    for name, proc in pipe.procs.items():
        with proc.log_path.open("rb") as fh:
            fh.seek(sizes[name])
            new = fh.read().decode(errors="replace").splitlines()
        warned = [line for line in new if '"warning"' in line or '"error"' in line]
        logged[name] = len(warned)
        samples[name] = [_event(line) for line in warned[:3]]
    silent = [n for n, count in logged.items() if count == 0]
    figures |= {
        "recover_s": recover,
        "restarted": restarted,
        "exited": exited,
        "warnings_logged": logged,
        "warning_samples": samples,
    }
    if silent:
        notes.append(f"no warning logged by {', '.join(silent)}")
    figures["notes"] = "; ".join(notes)
    ok = check(figures) and not restarted and not exited and not silent
    record(chaos_report, "broker frozen 30 s (SIGSTOP)", figures, ok)
    assert not exited, f"services exited during the outage: {exited}"
    assert figures["lost"] == 0, f"alerts lost after the broker outage: {figures}"
    assert figures["extra_keys"] == 0, f"repeats under new keys: {figures['extra_sample']}"
    assert not silent, f"services did not log the outage: {logged}"


def _event(line: str) -> str:
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        return line[:160]
    extra = {k: v for k, v in entry.items() if k not in ("event", "service", "timestamp")}
    return f"{entry.get('event', '')} {extra}"[:200]


# --- poison messages on every topic ---------------------------------------------------------


POISONED = (topics.ARTICLES, topics.TAGGED, topics.STORY_UPDATES, topics.ALERTS)


async def _one_record(bootstrap: str, topic: str) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=1)
            for records in batch.values():
                return dict(orjson.loads(records[0].value))
    finally:
        await consumer.stop()
    raise AssertionError(f"no record on {topic}")


async def _dead_letters(bootstrap: str) -> list[dict[str, Any]]:
    return [orjson.loads(v) for v in await read_all(bootstrap, topics.DEAD_LETTERS.name)]


async def test_poison_messages(stack: Stack, chaos_report: dict[str, dict[str, Any]]) -> None:
    pipe = stack.pipe
    replay = await stack.replay("--speed", stack.speed)
    await wait_for(lambda: len(stack.receiver.deliveries) > 0, 120, "the first alert")
    samples = {spec.name: await _one_record(pipe.bootstrap, spec.name) for spec in POISONED}
    producer = AIOKafkaProducer(
        bootstrap_servers=pipe.bootstrap, acks="all", max_request_size=16 * 1024 * 1024
    )
    await producer.start()
    sent: list[tuple[str, str]] = []
    try:
        for spec in POISONED:
            wrong_version = dict(samples[spec.name], v=2)
            huge = orjson.dumps({"v": 1, "junk": "x" * (10 * 1024 * 1024)})
            for kind, value in (
                ("invalid json", b'{"v": 1, "id": "broken'),
                ("wrong schema version", orjson.dumps(wrong_version)),
                ("10 MB value", huge),
            ):
                await producer.send_and_wait(spec.name, value, key=b"poison")
                sent.append((spec.name, kind))
    finally:
        await producer.stop()
    t_sent = time.monotonic()
    notes = await wait_all(stack)
    await replay.wait()

    def counted() -> float:
        return sum(
            metric_sum(pipe.metrics(n), "wirewatch_dead_letters_total")
            for n in STAGES
            if pipe.procs[n].proc
        )

    try:
        await wait_for(lambda: counted() >= len(sent), 60, "every poison message counted")
    except TimeoutError as exc:
        notes.append(str(exc))
    letters = await _dead_letters(pipe.bootstrap)
    by_topic: dict[str, list[str]] = defaultdict(list)
    for letter in letters:
        by_topic[letter["topic"]].append(letter["reason"])
    missing = {
        spec.name: 3 - len(by_topic.get(spec.name, []))
        for spec in POISONED
        if len(by_topic.get(spec.name, [])) < 3
    }
    figures = stack.figures() | {
        "poison_sent": len(sent),
        "dead_letters": len(letters),
        "dead_letters_counted": counted(),
        "reasons": {t: [r[:80] for r in rs] for t, rs in by_topic.items()},
        "recover_s": time.monotonic() - t_sent,
        "services_alive": all(p.proc and p.proc.poll() is None for p in pipe.procs.values()),
    }
    if missing:
        notes.append(f"not dead-lettered: {missing}")
    figures["notes"] = "; ".join(notes)
    ok = check(figures) and not missing and figures["services_alive"]
    figures["recover_s"] = None  # no outage here: consumers never stopped
    record(chaos_report, "poison messages (3 per topic)", figures, ok)
    assert figures["services_alive"], "a consumer died on a poison message"
    assert not missing, f"poison messages not dead-lettered: {missing}; letters: {by_topic}"
    assert figures["dead_letters_counted"] >= len(sent), figures
    assert figures["lost"] == 0, f"consumers stopped after poison: {figures}"
    assert all(len(r) > 0 for rs in by_topic.values() for r in rs), "a dead letter has no reason"


# --- restart with a partially committed batch -----------------------------------------------


async def _committed(bootstrap: str, group: str, topic: str) -> int:
    """Offsets committed by ``group`` on ``topic``, summed over partitions (OffsetFetch
    through a consumer: aiokafka's admin client cannot parse Tansu's answer)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        if not parts:
            await consumer._client.force_metadata_update()  # no public refresh in aiokafka
            parts = consumer.partitions_for_topic(topic) or set()
        total = 0
        for p in parts:
            total += await consumer.committed(TopicPartition(topic, p)) or 0
        return total
    finally:
        await consumer.stop()


async def _article_ids(bootstrap: str, topic: str, path: tuple[str, ...]) -> list[str]:
    out = []
    for raw in await read_all(bootstrap, topic):
        value: Any = orjson.loads(raw)
        for step in path:
            value = value[step]
        out.append(value)
    return out


async def test_partially_committed_batch(
    stack: Stack, chaos_report: dict[str, dict[str, Any]]
) -> None:
    """The tagger is killed while it has produced output past its last committed offset;
    after the restart it resumes from the commit: no article is missing downstream."""
    pipe = stack.pipe
    await stack.replay("--speed", stack.speed)
    group, source = "wirewatch-tagger", topics.ARTICLES.name
    state = {"committed": 0, "tagged": 0.0}

    async def mid_batch() -> bool:
        """Some offsets committed, and more output produced since the last commit."""
        state["tagged"] = stack.count("tagger")
        state["committed"] = await _committed(pipe.bootstrap, group, source)
        return state["committed"] >= ARTICLES // 5 and state["tagged"] > state["committed"]

    await wait_for(mid_batch, 120, "a commit with uncommitted output after it", every=0.2)
    pipe.procs["tagger"].kill()
    t_kill = time.monotonic()
    tagged_at_kill = max(state["tagged"], stack.count("tagger"))
    committed = await _committed(pipe.bootstrap, group, source)
    pipe.start("tagger")
    await asyncio.to_thread(pipe.procs["tagger"].wait_ready, 120.0)
    await wait_for(lambda: stack.count("tagger") > 0, 120, "the tagger to resume")
    recover = time.monotonic() - t_kill
    notes = await wait_all(stack)
    tagged = await _article_ids(pipe.bootstrap, topics.TAGGED.name, ("article", "id"))
    updates = await _article_ids(
        pipe.bootstrap, topics.STORY_UPDATES.name, ("article", "article", "id")
    )
    gap_tagged = sorted(set(stack.ids) - set(tagged))
    gap_updates = sorted(set(stack.ids) - set(updates))
    figures = stack.figures() | {
        "recover_s": recover,
        "tagged_before_kill": tagged_at_kill,
        "committed_at_kill": committed,
        "uncommitted_at_kill": tagged_at_kill - committed,
        "tagged_records": len(tagged),
        "reprocessed": len(tagged) - len(set(tagged)),
        "gap_tagged": len(gap_tagged),
        "gap_story_updates": len(gap_updates),
    }
    if committed >= tagged_at_kill:
        notes.append("batch was fully committed at the kill: scenario not exercised")
    figures["notes"] = "; ".join(notes)
    ok = check(figures) and not gap_tagged and not gap_updates and committed < tagged_at_kill
    record(chaos_report, "tagger killed with a partially committed batch", figures, ok)
    assert committed < tagged_at_kill, "the kill did not hit an uncommitted batch"
    assert not gap_tagged, f"{len(gap_tagged)} articles never tagged: {gap_tagged[:5]}"
    assert not gap_updates, f"{len(gap_updates)} articles never reached a story: {gap_updates[:5]}"
    assert figures["lost"] == 0, figures
    assert figures["extra_keys"] == 0, (
        f"reprocessing the uncommitted batch alerted {figures['extra_keys']} articles under a "
        f"second key: {figures['extra_sample']}"
    )
