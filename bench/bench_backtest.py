"""Backtest and preview speed: ``backtest`` over a synthetic archive (``bench.workload``)
against the stories core alone in the same run, and ``POST /subscriptions/preview``'s
core over a day of story updates at 10 articles/s.

- **backtest**: the archive's first articles warm the index up to ``--live`` live
  stories; then the next ``--articles`` go through the whole backtest (tagger step,
  ``StoryIndex.assign``, matching and the once-per-story policy for one query), and,
  in a second index warmed the same way, through ``StoryIndex.assign`` alone on the
  same tagged articles (the baseline: the stories core). CPU time, one core.
- **preview**: ``preview.Recent`` filled with ``--day-updates`` story updates (86,400 s
  × 10/s by default; copies of the archive's updates under fresh ids, one story per
  ~4 updates), then ``run_preview`` timed for an entity pair, a single entity and a
  keyword query over the last 24 hours (median of ``--runs``).

    python bench/bench_backtest.py                 # full sizes
    python bench/bench_backtest.py --quick         # smaller (smoke test)
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import generate
from services.alerting.backtest import Pipeline, Trial, trial_subscription
from services.alerting.preview import Recent, run_preview
from services.ingest.replay import article_from
from services.stories.stream import index_from
from services.tagger.matcher import Matcher
from services.tagger.watchlist import load_watchlist
from shared.records import Article, StoryUpdate
from shared.settings import Settings

START = datetime(2026, 11, 1, tzinfo=UTC)
WALL = datetime(2026, 12, 1, tzinfo=UTC)
QUERY = "@elon_musk AND @sam_altman"


def articles(n: int) -> list[Article]:
    return [article_from(r, feed="bench", now=WALL) for r in generate(n, seed=7, start=START)]


def warm(pipeline: Pipeline, items: list[Article], live: int) -> int:
    """Assign articles until ``live`` stories are live; how many it took."""
    for n, article in enumerate(items):
        pipeline.assign(pipeline.tag(article))
        if len(pipeline.index) >= live:
            return n + 1
    raise SystemExit(f"the archive never reached {live} live stories")


def bench_backtest(n_articles: int, live: int, runs: int) -> dict[str, object]:
    settings = Settings()
    matcher = Matcher(load_watchlist(settings.watchlist_file))
    items = articles(n_articles * 3 + 4 * live)
    cut = warm(Pipeline(matcher, index_from(settings), WALL), items, live)
    timed = items[cut : cut + n_articles]
    tagged = [matcher.tag(a) for a in timed]
    core_rates, full_rates, alerts, live_at = [], [], 0, 0
    for _ in range(runs):
        # baseline: the stories core alone, on the same tagged articles
        base = Pipeline(matcher, index_from(settings), WALL)
        warm(base, items, live)
        gc.collect()
        t0 = time.process_time()
        for t in tagged:
            base.index.assign(t, base.stream_time(t.article.lang, t.article.published))
        core_rates.append(len(tagged) / (time.process_time() - t0))
        # the whole backtest: tagger step, stories step, matching, policy
        pipeline = Pipeline(matcher, index_from(settings), WALL)
        warm(pipeline, items, live)
        trial = Trial(trial_subscription(QUERY))
        live_at = len(pipeline.index)
        gc.collect()
        t0 = time.process_time()
        outcomes = list(trial.run(pipeline.run(timed)))
        full_rates.append(len(timed) / (time.process_time() - t0))
        alerts = len(outcomes)
    core, full = statistics.median(core_rates), statistics.median(full_rates)
    return {
        "articles": len(timed),
        "live_stories_at_start": live_at,
        "alerts": alerts,
        "backtest_articles_per_s": round(full),
        "backtest_min_max": [round(min(full_rates)), round(max(full_rates))],
        "stories_core_articles_per_s": round(core),
        "ratio_backtest_vs_core": round(full / core, 3),
    }


def fill_day(updates: list[StoryUpdate], n: int, now: datetime) -> Recent:
    recent = Recent(max_updates=n)
    step = 86_400 / n
    start = now - timedelta(seconds=86_400)
    for i in range(n):
        u = updates[i % len(updates)]
        round_ = i // len(updates)
        story = u.story.model_copy(update={"id": f"{u.story.id}-{round_}"})
        article = u.article.article.model_copy(update={"id": f"{u.article.article.id}-{round_}"})
        tagged = u.article.model_copy(update={"article": article})
        recent.add(
            StoryUpdate.model_construct(story=story, article=tagged, is_new=u.is_new),
            start + timedelta(seconds=i * step),
        )
    return recent


def bench_preview(day_updates: int, runs: int) -> dict[str, object]:
    settings = Settings()
    matcher = Matcher(load_watchlist(settings.watchlist_file))
    pipeline = Pipeline(matcher, index_from(settings), WALL)
    pool = [u for u, _ in pipeline.run(articles(min(day_updates, 8_000)))]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.process_time()
    now = WALL
    recent = fill_day(pool, day_updates, now)
    fill_us = (time.process_time() - t0) / day_updates * 1e6
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    gc.collect()
    gc.freeze()  # as the workers do (shared/collector.py): held updates are long-lived
    out: dict[str, object] = {
        "held_updates": len(recent),
        "add_us_per_update": round(fill_us, 1),
        "rss_growth_mb": round(rss),
    }
    for name, query in (
        ("pair", QUERY),
        ("entity", "@sam_altman"),
        ("keyword", '"Tesla Roadster" lang:en'),
    ):
        sub = trial_subscription(query, every_articles=5)
        times, answer = [], {}
        for _ in range(runs):
            t = time.perf_counter()
            answer = run_preview(recent, sub, 24, now)
            times.append((time.perf_counter() - t) * 1000)
        summary = answer["summary"]
        assert isinstance(summary, dict)
        out[name] = {
            "query": query,
            "ms_median": round(statistics.median(times), 1),
            "ms_max": round(max(times), 1),
            "candidates": summary["updates"],
            "alerts": summary["alerts"],
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=5_000)
    ap.add_argument("--live", type=int, default=1_000)
    ap.add_argument("--day-updates", type=int, default=864_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.articles, args.day_updates = 1_000, 50_000
    backtest = bench_backtest(args.articles, args.live, args.runs)
    preview = bench_preview(args.day_updates, args.runs)
    print("| run | figure |")
    print("|---|---:|")
    print(
        f"| backtest `{QUERY}`, {backtest['articles']:,} articles from "
        f"{backtest['live_stories_at_start']:,} live stories | "
        f"**{backtest['backtest_articles_per_s']:,} articles/CPU-s** "
        f"(min–max {backtest['backtest_min_max'][0]:,}–{backtest['backtest_min_max'][1]:,}) |"  # type: ignore[index]
    )
    print(
        f"| stories core alone (`StoryIndex.assign`), same articles | "
        f"{backtest['stories_core_articles_per_s']:,} articles/CPU-s |"
    )
    print(f"| ratio backtest / stories core | {backtest['ratio_backtest_vs_core']} |")
    held = preview["held_updates"]
    assert isinstance(held, int)
    print(
        f"| preview: {held:,} updates held (a day at {held / 86_400:.1f}/s) | "
        f"fill {preview['add_us_per_update']} µs/update (copy + add), "
        f"+{preview['rss_growth_mb']:,} MB RSS |"
    )
    for name in ("pair", "entity", "keyword"):
        p = preview[name]
        assert isinstance(p, dict)
        print(
            f"| preview `{p['query']}` ({p['candidates']:,} candidates, {p['alerts']:,} alerts) "
            f"| **{p['ms_median']} ms** (max {p['ms_max']}) |"
        )
    print(json.dumps({"bench": "backtest", "backtest": backtest, "preview": preview}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
