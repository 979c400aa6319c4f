"""Tagging throughput against a raw pyahocorasick scan of the same text, and articles/s
through the tagger agent against a bare faust pass-through agent.

1. **Core**: for the default watchlist and for one with 10,000 synthetic aliases, times
   ``Matcher.find_mentions`` over the seed articles and over real feed items (each
   repeated to ~1 MB) and a bare ``for _ in automaton.iter(text)`` with an automaton of
   the same number of patterns, in the same run, in CPU time (``time.process_time``).
   Ratio = core MB/s / raw MB/s (goal: >= 0.5).
2. **Agent**: on a fresh embedded broker, the tagger started with its production command
   (``services.stack.processes.ServiceProcess``) and, as the same-run baseline, the bare
   pass-through agent of ``bench/passthrough.py`` (topic -> topic on raw bytes,
   same app settings); each gets the same N synthetic ~3 KB articles; articles/s from the
   first record produced until N records are on the output topic. Ratio = tagger / bare.

Prints markdown tables and one JSON line (last line of stdout).
Usage: ``python bench/bench_tagging.py [--runs 5] [--articles 3000] [--no-agent]``.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import passthrough  # noqa: E402 - after the path fix
from services.stack.processes import ServiceProcess  # noqa: E402
from services.tagger.matcher import Matcher  # noqa: E402
from services.tagger.watchlist import load_watchlist, parse_watchlist  # noqa: E402
from shared import topics  # noqa: E402
from shared.broker import EmbeddedBroker, free_port  # noqa: E402
from tests.support.records import article as build_article  # noqa: E402
from tests.support.services import cpu_seconds, service_env  # noqa: E402

TARGET_BYTES = 1_000_000


FEEDS = ROOT.parent / "shared" / "data" / "real-news" / "feeds"
_TAG = re.compile(r"<[^>]+>")


def repeated(texts: list[str]) -> list[str]:
    size = sum(len(t.encode()) for t in texts)
    return texts * max(1, TARGET_BYTES // size)


def seed_corpus() -> list[str]:
    """The seed articles: every one is about the watched entities (dense mentions)."""
    return repeated([p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))])


def feed_corpus() -> list[str]:
    """Real feed items (title + summary + content, markup stripped), when the captures
    beside the repository are present: what the tagger mostly sees (few mentions)."""
    import feedparser  # noqa: PLC0415 - only for this optional corpus

    texts = []
    for path in sorted(FEEDS.glob("*.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            parts = [entry.get("title", ""), entry.get("summary", "")]
            parts += [c.get("value", "") for c in entry.get("content", [])]
            texts.append(html.unescape(_TAG.sub(" ", "\n".join(parts))))
    return repeated(texts) if texts else []


def synthetic_watchlist(count: int, seed: int = 7) -> bytes:
    """``count`` aliases: two per invented person ("Kavo Tenrel", "Tenrel")."""
    rng = random.Random(seed)
    syllables = ["ka", "ve", "lo", "ri", "ten", "mar", "sul", "dor", "ni", "bex", "quo", "zan"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).title()

    lines = ["entities:"]
    for n in range(count // 2):
        first, last = word(), word()
        lines.append(
            f"  - {{id: p{n}, name: {first} {last}, type: person, "
            f"aliases: ['{first} {last}', {{text: '{last}', case_sensitive: true}}]}}"
        )
    default = (ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8")
    return ("\n".join(lines) + "\n" + default.split("entities:", 1)[1]).encode()


def raw_automaton(matcher: Matcher) -> ahocorasick.Automaton:
    """A plain automaton with as many patterns as the matcher's index."""
    automaton = ahocorasick.Automaton()
    patterns = [a.text.lower() for e in matcher.watchlist.entities for a in e.aliases]
    n = 0
    while len(automaton) < matcher.phrase_count:
        pattern = patterns[n] if n < len(patterns) else f"{patterns[n % len(patterns)]}#{n}"
        automaton.add_word(pattern, n)
        n += 1
    automaton.make_automaton()
    return automaton


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """CPU seconds per run (others' work on the machine does not count)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return times


def bench(
    name: str, corpus: str, matcher: Matcher, texts: list[str], runs: int
) -> dict[str, object]:
    automaton = raw_automaton(matcher)
    megabytes = sum(len(t.encode()) for t in texts) / 1e6

    def core() -> None:
        for text in texts:
            matcher.find_mentions("", text)

    def raw() -> None:
        for text in texts:
            for _ in automaton.iter(text):
                pass

    core()  # warm-up: Unicode tables, caches
    ratios, core_mbs, raw_mbs = [], [], []
    for _ in range(runs):
        c = timed(core, 1)[0]
        r = timed(raw, 1)[0]
        core_mbs.append(megabytes / c)
        raw_mbs.append(megabytes / r)
        ratios.append(r / c)
    mentions = sum(len(matcher.find_mentions("", t)) for t in texts)
    return {
        "watchlist": name,
        "corpus": corpus,
        "mentions_per_kb": round(mentions / megabytes / 1000, 2),
        "patterns": matcher.phrase_count,
        "megabytes": round(megabytes, 2),
        "core_mb_s": round(statistics.median(core_mbs), 2),
        "raw_mb_s": round(statistics.median(raw_mbs), 2),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
    }


# --- the agent on the embedded broker ---------------------------------------------------

FILLER = (
    *("die", "regierung", "plant", "neue", "regeln", "für", "den", "markt", "nach", "der"),
    *("wahl", "im", "herbst", "the", "council", "said", "on", "monday", "that", "prices"),
    *("rose", "faster", "than", "expected", "this", "year", "analysten", "erwarten"),
    *("weitere", "zinsschritte", "zentralbank", "kommenden", "quartal", "shares", "fell"),
    *("in", "early", "trading", "as", "investors", "weighed", "latest", "data", "jobs"),
)


def synthetic_articles(count: int, seed: int = 11) -> list[tuple[bytes, bytes]]:
    """``count`` (key, value) records of ~3 KB articles: filler sentences with one in
    five taken from the seed articles (~2 mentions/KB, between real feeds and seeds)."""
    rng = random.Random(seed)
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    mentions = [s.strip() for t in seeds for s in re.split(r"(?<=[.!?])\s+", t) if s.strip()]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    records = []
    for n in range(count):
        sentences: list[str] = []
        while sum(len(x) + 1 for x in sentences) < 3000:
            if rng.random() < 0.2:
                sentences.append(rng.choice(mentions))
            else:
                words = rng.choices(FILLER, k=rng.randint(8, 20))
                sentences.append(" ".join(words).capitalize() + ".")
        feed = f"bench-feed-{n % 8}"
        article = build_article(
            f"bench-{n}",
            url=f"https://example.org/bench/{n}",
            title=rng.choice(mentions)[:120],
            text=" ".join(sentences),
            lang=rng.choice(["de", "en"]),
            published=now,
            source="bench",
            feed=feed,
        )
        records.append((feed.encode(), article.dumps()))
    return records


def cpu_of(service: ServiceProcess) -> float:
    assert service.proc is not None
    seconds = cpu_seconds(service.proc.pid)
    assert seconds is not None, f"{service.name} is gone"
    return seconds


async def through(
    broker: str,
    service: ServiceProcess,
    source: str,
    sink: str,
    batches: list[list[tuple[bytes, bytes]]],
) -> dict[str, float]:
    """Start ``service``, then per batch: produce it to ``source`` and wait until as many
    records are on ``sink``. Returns the last batch's articles/s and CPU s per article."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: PLC0415

    await asyncio.to_thread(service.start().wait_ready)
    assert service.proc is not None
    producer = AIOKafkaProducer(
        bootstrap_servers=broker,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        max_request_size=16 * 1024 * 1024,
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    consumer.assign([TopicPartition(sink, p) for p in range(4)])
    result: dict[str, float] = {}
    try:
        done = seen = 0
        for batch in batches:
            cpu0 = cpu_of(service)
            t0 = time.monotonic()
            sent = [await producer.send(source, key=k, value=v) for k, v in batch]
            await asyncio.gather(*sent)
            done += len(batch)
            deadline = t0 + 120
            while seen < done:  # count the records themselves (offsets may have gaps)
                if time.monotonic() > deadline or service.proc.poll() is not None:
                    raise RuntimeError(f"{sink}: {seen} of {done} records\n{service.tail()}")
                fetched = await consumer.getmany(timeout_ms=50)
                seen += sum(len(records) for records in fetched.values())
            seconds = time.monotonic() - t0
            result = {
                "articles_s": round(len(batch) / seconds, 1),
                "cpu_ms_per_article": round((cpu_of(service) - cpu0) / len(batch) * 1000, 3),
            }
    finally:
        await consumer.stop()
        await producer.stop()
        service.stop()
    return result


async def agent_bench(count: int) -> dict[str, object]:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: PLC0415

    records = synthetic_articles(count)
    warm = records[: max(1, count // 10)]
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker() as broker:
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
        await admin.start()
        try:
            specs = (
                topics.ARTICLES,
                topics.TAGGED,
                topics.DEAD_LETTERS,
                passthrough.SOURCE,
                passthrough.SINK,
            )
            await admin.create_topics([NewTopic(s.name, s.partitions, 1) for s in specs])
        finally:
            await admin.close()
        env = service_env(broker.bootstrap, Path(tmp), extra={"WIREWATCH_LOG_LEVEL": "warning"})
        bare = ServiceProcess(
            "tagger",
            env,
            free_port(),
            Path(tmp) / "passthrough.log",
            argv=[sys.executable, "-m", "bench.passthrough", "worker"],
        )
        baseline = await through(
            broker.bootstrap,
            bare,
            passthrough.SOURCE.name,
            passthrough.SINK.name,
            [warm, records],
        )
        tagger = ServiceProcess("tagger", env, free_port(), Path(tmp) / "tagger.log")
        tagged = await through(
            broker.bootstrap, tagger, topics.ARTICLES.name, topics.TAGGED.name, [warm, records]
        )
    return {
        "articles": count,
        "kb_per_article": round(sum(len(v) for _, v in records) / count / 1000, 1),
        "tagger_articles_s": tagged["articles_s"],
        "bare_articles_s": baseline["articles_s"],
        "ratio": round(tagged["articles_s"] / baseline["articles_s"], 3),
        "tagger_cpu_ms_per_article": tagged["cpu_ms_per_article"],
        "bare_cpu_ms_per_article": baseline["cpu_ms_per_article"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--articles", type=int, default=3000, help="agent benchmark size")
    parser.add_argument("--no-agent", action="store_true", help="core benchmark only")
    args = parser.parse_args()
    default = Matcher(load_watchlist(ROOT / "config" / "watchlist.yaml"))
    large = Matcher(parse_watchlist(synthetic_watchlist(10_000)))
    corpora = [("seed articles", seed_corpus())]
    if FEEDS.is_dir():
        corpora.append(("real feeds", feed_corpus()))
    rows = [
        bench(name, corpus, matcher, texts, args.runs)
        for corpus, texts in corpora
        for name, matcher in (("default", default), ("10k synthetic", large))
    ]
    print(
        "| corpus | mentions/KB | watchlist | patterns | MB | core MB/s | raw MB/s "
        "| ratio median | min | max |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['corpus']} | {r['mentions_per_kb']} | {r['watchlist']} | {r['patterns']} | "
            f"{r['megabytes']} | {r['core_mb_s']} | "
            f"{r['raw_mb_s']} | {r['ratio_median']} | {r['ratio_min']} | {r['ratio_max']} |"
        )
    agent = None if args.no_agent else asyncio.run(agent_bench(args.articles))
    if agent is not None:
        print()
        print(
            "| articles | KB/article | tagger articles/s | bare faust articles/s | ratio "
            "| tagger CPU ms/article | bare CPU ms/article |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {agent['articles']} | {agent['kb_per_article']} | {agent['tagger_articles_s']} "
            f"| {agent['bare_articles_s']} | {agent['ratio']} "
            f"| {agent['tagger_cpu_ms_per_article']} | {agent['bare_cpu_ms_per_article']} |"
        )
    print(json.dumps({"bench": "tagging", "runs": args.runs, "results": rows, "agent": agent}))


if __name__ == "__main__":
    main()
