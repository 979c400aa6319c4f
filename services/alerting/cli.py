"""``python -m services.alerting backtest QUERY [ARCHIVE.jsonl…|seeds/]``: the alerts a
subscription would have sent over what already happened, then a summary.

With archives (JSONL, or a seeds folder with ``seeds.yaml``) the tagger, the stories
clustering and the alerting policy run in-process (``backtest.Pipeline``, ``Trial``).
Without, it reads ``wirewatch.story-updates`` from the given time (``offsets_for_times``)
to the ends it had at start, as a consumer of its own that joins no group and commits
nothing, and runs the alerting policy over those updates.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.alerting.backtest import (
    Outcome,
    Pipeline,
    Trial,
    summarize,
    trial_subscription,
)
from services.alerting.explain import describe
from services.alerting.subscriptions import SubscriptionError
from services.stories.stream import index_from
from shared import kafka, topics
from shared import settings as settings_mod
from shared.records import Alert, Article, Digest, StoryUpdate, ValidationError
from shared.settings import Settings

__all__ = ["backtest_main", "format_outcome", "read_story_updates"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _duration(text: str) -> timedelta:
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 7d, 12h or 30m")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def _time(text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m services.alerting backtest",
        description="The alerts a subscription would have sent over archives or over "
        "what wirewatch.story-updates still holds.",
    )
    p.add_argument("query", help="the subscription query, e.g. '@elon_musk AND @sam_altman'")
    p.add_argument("archives", nargs="*", type=Path, help="JSONL archives or a seeds folder")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--since", type=_duration, help="only the last N (7d, 12h, 30m)")
    when.add_argument("--from", dest="start", type=_time, help="from this time (ISO)")
    p.add_argument("--to", dest="end", type=_time, help="up to this time (ISO)")
    p.add_argument("--updates-every", type=int, help="update alert every N more articles")
    p.add_argument("--updates-sources", type=int, help="update alert every N more sources")
    p.add_argument("--mode", choices=("realtime", "digest"), default="realtime")
    p.add_argument("--digest-minutes", type=int, help="digest window (with --mode digest)")
    p.add_argument("--id", default="backtest", help="subscription id (alert ids depend on it)")
    p.add_argument("--watchlist", type=Path, help="default: WIREWATCH_WATCHLIST_FILE")
    p.add_argument("--json", action="store_true", help="one JSON object per alert, then one")
    p.add_argument(
        "--explain", action="store_true", help="why each alert fired; why other stories did not"
    )
    return p


def articles_of(paths: Iterable[Path], now: datetime) -> Iterator[Article]:
    """Articles from seeds folders and JSONL archives, in the order given (each archive
    in its own order, as ``python -m services.ingest replay`` publishes them)."""
    from services.ingest.replay import load_archive, load_seeds  # noqa: PLC0415 - archives only

    for path in paths:
        if path.is_dir() and (path / "seeds.yaml").exists():
            yield from load_seeds(path, now)
        elif path.is_dir():
            for archive in sorted(path.glob("*.jsonl")):
                yield from load_archive(archive, now)
        else:
            yield from load_archive(path, now)


async def read_story_updates(
    settings: Settings, start: datetime | None, end: datetime | None, idle_s: float = 5.0
) -> list[tuple[StoryUpdate, datetime]]:
    """Story updates from ``start`` (None: the earliest kept) to the ends the topic had
    when called (or ``end``), in time order (ties: by publication time). A consumer of
    its own: no group, no commit. Records that do not decode are skipped (the live worker
    dead-letters them)."""
    spec = topics.STORY_UPDATES
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.require_bootstrap(settings),
        group_id=None,
        enable_auto_commit=False,
    )
    await kafka.retry_connect(settings, "backtest consumer", consumer.start)
    out: list[tuple[int, datetime, int, int, StoryUpdate, datetime]] = []
    try:
        tps = [TopicPartition(spec.name, p) for p in range(spec.partitions)]
        consumer.assign(tps)
        ends = await kafka.record_end_offsets(
            settings.kafka_bootstrap, await consumer.end_offsets(tps)
        )
        pending: set[TopicPartition] = set()
        if start is None:
            await consumer.seek_to_beginning(*tps)
            pending = {tp for tp in tps if ends[tp] > 0}
        else:
            found = await consumer.offsets_for_times(
                {tp: int(start.timestamp() * 1000) for tp in tps}
            )
            for tp, at in found.items():
                if at is not None and at.offset < ends[tp]:
                    consumer.seek(tp, at.offset)
                    pending.add(tp)
        stop_ms = int(end.timestamp() * 1000) if end else None
        # Tansu 0.6 answers offsets_for_times with the start of the log whatever the time:
        # records before ``start`` are skipped here too (on Kafka there are none to skip)
        start_ms = int(start.timestamp() * 1000) if start else None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + idle_s
        while pending and loop.time() < deadline:
            batch = await consumer.getmany(*pending, timeout_ms=200)
            for tp, records in batch.items():
                deadline = loop.time() + idle_s
                for rec in records:
                    if rec.offset >= ends[tp] or (stop_ms is not None and rec.timestamp >= stop_ms):
                        pending.discard(tp)
                        break
                    if start_ms is not None and rec.timestamp < start_ms:
                        continue
                    try:
                        update = StoryUpdate.loads(rec.value)
                    except ValidationError:
                        continue
                    at = datetime.fromtimestamp(rec.timestamp / 1000, UTC)
                    published = update.article.article.published
                    out.append((rec.timestamp, published, tp.partition, rec.offset, update, at))
                if tp in pending and await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    # time order; records of one millisecond on different partitions in the order their
    # articles were published (a CI run saw partition order put them out of archive order)
    out.sort(key=lambda row: row[:4])
    return [(update, at) for *_, update, at in out]


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _held_line(alert: Alert) -> str:
    if alert.held:
        return ", ".join(h.term + (f" ({h.count}x)" if h.count else "") for h in alert.held)
    return ", ".join(alert.entities)


def format_outcome(outcome: Outcome, *, explain: bool = False) -> list[str]:
    """The lines printed for one alert or digest."""
    alert = outcome.alert
    if isinstance(alert, Digest):
        lines = [
            f"digest  {_when(outcome.at)}  {alert.id}  {len(alert.alerts)} stories  "
            f"window {_when(alert.window_start)} – {_when(alert.window_end)}"
        ]
        for item in alert.alerts:
            lines += ["  " + line for line in _alert_lines(item, item.created, explain)]
        return lines
    return _alert_lines(alert, outcome.at, explain)


def _alert_lines(alert: Alert, at: datetime, explain: bool) -> list[str]:
    lines = [
        f"{alert.kind:<7} {_when(at)}  story {alert.story_id} (rev {alert.story_revision}, "
        f"{alert.story_size} articles) «{alert.story_headline}»",
        f"        article {alert.article_id} «{alert.article_title}»  matched: {_held_line(alert)}",
    ]
    if explain:
        lines += [f"          why: {describe(h)}" for h in alert.held]
        lines.append(f"          alert id: {alert.id}")
    return lines


def _summary_lines(summary: dict[str, object]) -> list[str]:
    busiest = summary["busiest"]
    by_date = summary["by_date"]
    assert isinstance(by_date, dict)
    dates = ", ".join(f"{d}: {n}" for d, n in by_date.items())
    lines = [
        "",
        f"summary: {summary['alerts']} alerts, {summary['stories']} distinct stories, "
        f"{summary['updates']} story updates over {summary['days']} days",
        f"alerts per day: {summary['alerts_per_day']}" + (f" ({dates})" if dates else ""),
    ]
    if isinstance(busiest, dict):
        n = busiest["alerts"]
        lines.append(
            f"busiest story: {busiest['story']} «{busiest['headline']}» "
            f"({n} alert{'' if n == 1 else 's'})"
        )
    return lines


def run(
    args: argparse.Namespace,
    settings: Settings,
    out: TextIO,
    wall: datetime,
) -> int:
    try:
        sub = trial_subscription(
            args.query,
            sub_id=args.id,
            every_articles=args.updates_every,
            every_sources=args.updates_sources,
            mode=args.mode,
            digest_minutes=args.digest_minutes,
        )
    except SubscriptionError as exc:
        print(f"backtest: {exc}", file=sys.stderr)
        return 2
    start = wall - args.since if args.since else args.start
    end = args.end
    trial = Trial(sub, digest_unit_s=settings.digest_unit_s, explain_misses=args.explain)
    if args.archives:
        from services.tagger.matcher import Matcher  # noqa: PLC0415 - archives only
        from services.tagger.watchlist import WatchlistError, load_watchlist  # noqa: PLC0415

        try:
            matcher = Matcher(load_watchlist(args.watchlist or settings.watchlist_file))
        except WatchlistError as exc:
            print(f"backtest: {exc}", file=sys.stderr)
            return 2
        pipeline = Pipeline(matcher, index_from(settings), wall)
        updates: Iterable[tuple[StoryUpdate, datetime]] = pipeline.run(
            articles_of(args.archives, wall)
        )
    else:
        updates = asyncio.run(read_story_updates(settings, start, end))
    first: list[datetime] = []
    last: list[datetime] = []

    def window(
        items: Iterable[tuple[StoryUpdate, datetime]],
    ) -> Iterator[tuple[StoryUpdate, datetime]]:
        for update, at in items:
            if end is not None and at >= end:
                return
            if start is not None and at < start:
                continue  # clustered (the stories it grows matter), not alerted on
            if not first:
                first.append(at)
            last[:] = [at]
            yield update, at

    outcomes: list[Outcome] = []
    for outcome in trial.run(window(updates)):
        outcomes.append(outcome)
        if args.json:
            print(json.dumps(outcome.to_json(), ensure_ascii=False), file=out)
        else:
            print("\n".join(format_outcome(outcome, explain=args.explain)), file=out)
    summary = summarize(
        outcomes,
        start or (first[0] if first else None),
        end or (last[0] if last else None),
        trial.updates,
    ).to_json()
    if args.json:
        print(json.dumps({"summary": summary}, ensure_ascii=False), file=out)
    else:
        print("\n".join(_summary_lines(summary)), file=out)
    if args.explain and not args.json:
        misses = trial.misses()
        if misses:
            print("", file=out)
            print(f"did not alert ({len(misses)} stories; near misses first):", file=out)
        for miss in itertools.islice(misses, 50):
            story = miss.update.story
            print(f"  {story.id} «{story.headline}»: {miss.failed}", file=out)
        if len(misses) > 50:
            print(f"  … and {len(misses) - 50} more", file=out)
    elif args.explain:
        for miss in trial.misses():
            row = {"story": miss.update.story.id, "headline": miss.update.story.headline}
            print(
                json.dumps({"miss": {**row, "failed": miss.failed}}, ensure_ascii=False), file=out
            )
    return 0


def backtest_main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.mode == "digest" and not args.digest_minutes:
        print("backtest: --mode digest needs --digest-minutes", file=sys.stderr)
        return 2
    return run(args, settings_mod.load(), sys.stdout, datetime.now(UTC))
