"""``python -m services.stories evaluate ARCHIVE``: score the real pipeline, not just the
core. Replays a labelled archive (JSONL with gold ``story``/``event`` labels, or the
Miranda et al. JSON) with ``python -m services.ingest replay`` through the tagger and
stories workers — processes on the embedded broker, or on ``--bootstrap`` — reads the
story of every article (and whether it founded it) from ``wirewatch.story-updates``,
and prints per language the pairwise and B-cubed precision/recall/F1 (Miranda et al.
2018), the story counts, the new-story alerts per real story, and beside them the
plain TF-IDF baseline on the same archive. It starts the stack's processes, so it
lives with the stack's tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from services.stack.processes import ServiceProcess
from services.stories.archive import ArchiveError, Entry, read
from services.stories.offline import Replay, baseline, report
from shared import topics
from shared.broker import EmbeddedBroker, free_port
from shared.records import StoryUpdate


def write_archive(entries: list[Entry], path: Path) -> None:
    """The archive in replay's form, in time order (one feed: order kept end to end)."""
    with path.open("w", encoding="utf-8") as out:
        for entry in entries:
            a = entry.article.article
            record = {"id": a.id, "published": a.published.isoformat(), "lang": a.lang,
                      "title": a.title, "text": a.text, "source": a.source}  # fmt: skip
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


async def collect(bootstrap: str, ids: set[str], timeout_s: float) -> Replay:
    """Each article's story, and every cross-lingual link, from the story updates."""
    consumer = AIOKafkaConsumer(
        topics.STORY_UPDATES.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    story_of: dict[str, str] = {}
    new_of: dict[str, bool] = {}
    links: set[tuple[str, str]] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while not ids <= story_of.keys() and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for rec in records:
                    update = StoryUpdate.loads(rec.value)
                    story_of.setdefault(update.article.article.id, update.story.id)
                    new_of.setdefault(update.article.article.id, update.is_new)
                    links.update((min(update.story.id, o), max(update.story.id, o))
                                 for o in update.story.links)  # fmt: skip
    finally:
        await consumer.stop()
    missing = ids - story_of.keys()
    if missing:
        raise TimeoutError(f"{len(missing)} articles never reached a story, e.g. {min(missing)}")
    ordered = sorted(ids)
    return Replay(
        stories=[story_of[i] for i in ordered], links=links, new=[new_of[i] for i in ordered]
    )


def run(
    entries: list[Entry], workdir: Path, bootstrap: str | None, timeout_s: float, interval_s: float
) -> Replay:
    archive = workdir / "archive.jsonl"
    write_archive(entries, archive)
    broker = None if bootstrap else EmbeddedBroker(log_file=workdir / "broker.log").start()
    bootstrap = bootstrap or broker.bootstrap  # type: ignore[union-attr]
    env = {"WIREWATCH_KAFKA_BOOTSTRAP": bootstrap, "WIREWATCH_DATA_DIR": str(workdir / "var"),
           "WIREWATCH_LOG_FORMAT": "json"}  # fmt: skip
    if broker is not None:
        env["WIREWATCH_KAFKA_IDEMPOTENCE"] = "false"
    procs = [
        ServiceProcess(n, env, free_port(), workdir / f"{n}.log") for n in ("tagger", "stories")
    ]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.wait_ready(120.0)
        subprocess.run(
            [sys.executable, "-m", "services.ingest", "replay", str(archive),
             "--interval", str(interval_s)],
            env={**os.environ, **env}, check=True, capture_output=True,
        )  # fmt: skip
        ids = {e.article.article.id for e in entries}
        result = asyncio.run(collect(bootstrap, ids, timeout_s))
    finally:
        for proc in procs:
            proc.stop()
        if broker is not None:
            broker.stop()
    order = {i: n for n, i in enumerate(sorted(ids))}
    at = [order[e.article.article.id] for e in entries]
    return Replay(
        stories=[result.stories[n] for n in at], links=result.links, new=[result.new[n] for n in at]
    )


def evaluate(
    entries: list[Entry],
    bootstrap: str | None = None,
    timeout_s: float = 300.0,
    interval_s: float = 0.02,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wirewatch-eval-") as tmp:
        result = run(entries, Path(tmp), bootstrap, timeout_s, interval_s)
        return report(entries, result, baseline(entries))


def evaluate_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.stories evaluate", description=__doc__
    )
    parser.add_argument("archive", type=Path, help="labelled JSONL, or Miranda et al. JSON")
    parser.add_argument("--bootstrap", help="use this Kafka instead of an embedded broker")
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for stories")
    parser.add_argument(
        "--interval",
        type=float,
        default=0.02,
        help="seconds between replayed articles (default 0.02: a live-like pace; 0 = a burst, "
        "in which one language's partition can run days ahead of another's in event time)",
    )
    args = parser.parse_args(argv)
    try:
        entries = read(args.archive.read_text(encoding="utf-8"))
    except (OSError, ArchiveError, ValueError) as exc:
        print(f"evaluate: cannot read {args.archive}: {exc}", file=sys.stderr)
        return 2
    entries = entries[: args.limit] if args.limit else entries
    for lang, values in evaluate(entries, args.bootstrap, args.timeout, args.interval).items():
        print(json.dumps({"lang": lang, **values}))
    return 0
