"""Ingest benchmark: a loopback feed farm of 10,000 feeds with ETags.

    python bench/bench_ingest.py [--feeds 10000] [--concurrency 64] [--per-host 16]

The farm runs in a child process on 127.0.0.2–127.0.0.9 (spreading per-host limits;
all loopback). Cycles, each a full poll of every feed through ``Ingestor.refresh``:
  1. cold: every feed answers 200 (parse, normalise, dedup, publish);
  2. steady: 1% of the feeds changed (one new item each), the rest answer 304;
  3. idle: nothing changed, every feed answers 304.
Baseline, same run: plain httpx GETs of the same URLs with the same concurrency.
Prints a markdown table and one JSON line. Goals: steady cycle ≤ 60 s, peak RSS ≤ 500 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import structlog
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.ingest.feeds import FeedConfig  # noqa: E402
from services.ingest.pipeline import Ingestor  # noqa: E402
from shared.records import Article  # noqa: E402
from shared.settings import Settings  # noqa: E402

HOSTS = [f"127.0.0.{i}" for i in range(2, 10)]
ITEMS = 3
VOCAB = [
    "council",
    "budget",
    "school",
    "road",
    "library",
    "river",
    "bridge",
    "mayor",
    "vote",
    "tax",
    "energy",
    "price",
    "market",
    "train",
    "station",
    "hospital",
    "police",
    "court",
    "judge",
    "law",
    "farm",
    "harvest",
    "rain",
    "storm",
    "museum",
    "concert",
    "team",
    "match",
    "coach",
    "player",
    "season",
    "league",
    "factory",
    "workers",
    "union",
    "strike",
    "bank",
    "loan",
    "rate",
    "housing",
    "rent",
    "park",
    "tree",
    "garden",
    "festival",
    "market",
    "bakery",
    "bicycle",
    "airport",
    "flight",
    "port",
    "ship",
]


def story_text(i: int, n: int) -> str:
    """A distinct text per story (farm stories must not be near-duplicates)."""
    rng = random.Random(i * 100_003 + n)
    return " ".join(rng.choice(VOCAB) for _ in range(40))


# The farm (child process) --------------------------------------------------------------
def feed_body(i: int, version: int) -> bytes:
    items = []
    for n in range(version, version + ITEMS):
        items.append(
            f"<item><title>Feed {i} story {n}</title><link>http://127.0.0.2/s/{i}/{n}</link>"
            f"<pubDate>Tue, 03 Jun 2025 10:00:00 GMT</pubDate>"
            f"<description>{story_text(i, n)}</description></item>"
        )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Farm feed {i}</title><link>http://127.0.0.2/</link>{''.join(items)}"
        f"</channel></rss>"
    ).encode()


async def farm(feeds: int, port: int) -> None:
    versions = [0] * feeds
    bodies: dict[int, bytes] = {}

    async def serve(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        etag = f'"{i}-{versions[i]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = bodies.get(i)
        if body is None:
            body = bodies[i] = feed_body(i, versions[i])
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    async def bump(request: web.Request) -> web.Response:
        share = float(request.query.get("share", "0.01"))
        step = max(1, round(1 / share))
        changed = list(range(0, feeds, step))
        for i in changed:
            versions[i] += 1
            bodies.pop(i, None)
        return web.json_response({"changed": len(changed)})

    app = web.Application()
    app.add_routes([web.get("/f/{i}", serve), web.post("/_bump", bump)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for host in HOSTS:
        await web.TCPSite(runner, host, port, backlog=4096).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


# The measuring side -------------------------------------------------------------------
def rss_mb() -> float:
    """Peak resident set size of this (the ingesting) process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def cycle(ingestor: Ingestor, feeds: list[FeedConfig]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(ingestor.refresh(f) for f in feeds))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    statuses = [r.status for r in results]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "fetches": len(results),
        "ok": statuses.count("ok"),
        "not_modified": statuses.count("not_modified"),
        "errors": statuses.count("error"),
        "new_articles": sum(r.new for r in results),
        "fetches_per_s": len(results) / wall,
    }


async def baseline(urls: list[str], concurrency: int) -> dict[str, float]:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

        async def get(url: str) -> int:
            async with gate:
                response = await client.get(url)
                return response.status_code

        wall = time.perf_counter()
        codes = await asyncio.gather(*(get(u) for u in urls))
        wall = time.perf_counter() - wall
    return {"wall_s": wall, "fetches": len(codes), "fetches_per_s": len(codes) / wall,
            "ok": codes.count(200)}  # fmt: skip


async def main(args: argparse.Namespace) -> dict[str, object]:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    port = args.port
    child = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measurement
        [sys.executable, __file__, "--farm", "--feeds", str(args.feeds), "--port", str(port)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/f/{i}" for i in range(args.feeds)]
        feeds = [FeedConfig(url=u) for u in urls]
        published = 0

        async def publish(_: Article) -> None:
            nonlocal published
            published += 1

        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                data_dir=Path(tmp), allow_hosts=["127.0.0.0/8"], fetch_timeout_s=30,
                fetch_concurrency=args.concurrency, fetch_per_host=args.per_host,
            )  # fmt: skip
            rss_start = rss_mb()
            base = await baseline(urls, args.concurrency)
            rss_after_baseline = rss_mb()
            async with Ingestor(settings, publish) as ingestor:
                cold = await cycle(ingestor, feeds)
                rss_after_cold = rss_mb()
                async with httpx.AsyncClient(trust_env=False) as c:
                    await c.post(f"http://{HOSTS[0]}:{port}/_bump?share=0.01")
                steady = await cycle(ingestor, feeds)
                idle = await cycle(ingestor, feeds)
            peak = rss_mb()
    finally:
        child.terminate()
        child.wait(5)
    per_304_ms = 1000 * idle["cpu_s"] / idle["fetches"]
    per_new_ms = (
        1000
        * (steady["cpu_s"] - idle["cpu_s"] * steady["not_modified"] / idle["fetches"])
        / max(1.0, steady["new_articles"])
    )
    return {
        "feeds": args.feeds, "concurrency": args.concurrency, "per_host": args.per_host,
        "cold": cold, "steady": steady, "idle": idle, "baseline_plain_get": base,
        "ratio_steady_vs_baseline": steady["wall_s"] / base["wall_s"],
        "cpu_ms_per_304": per_304_ms, "cpu_ms_per_new_article": per_new_ms,
        "peak_rss_mb": peak, "rss_at_start_mb": rss_start, "published": published,
        "peak_rss_after_baseline_mb": rss_after_baseline, "peak_rss_after_cold_mb": rss_after_cold,
        "goals_met": steady["wall_s"] <= 60 and peak <= 500,
    }  # fmt: skip


def table(r: dict) -> str:
    rows = [("cycle", "wall s", "CPU s", "fetches/s", "200", "304", "errors", "new articles")]
    for name in ("cold", "steady", "idle"):
        c = r[name]
        rows.append((name, f"{c['wall_s']:.1f}", f"{c['cpu_s']:.1f}", f"{c['fetches_per_s']:.0f}",
                     str(c["ok"]), str(c["not_modified"]), str(c["errors"]),
                     str(c["new_articles"])))  # fmt: skip
    b = r["baseline_plain_get"]
    rows.append(("plain httpx GET", f"{b['wall_s']:.1f}", "-", f"{b['fetches_per_s']:.0f}",
                 str(b["ok"]), "-", "-", "-"))  # fmt: skip
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    lines += [
        "",
        f"- steady cycle vs plain GETs: {r['ratio_steady_vs_baseline']:.2f}×",
        f"- CPU per 304: {r['cpu_ms_per_304']:.2f} ms; per new article: "
        f"{r['cpu_ms_per_new_article']:.2f} ms",
        f"- peak RSS: {r['peak_rss_mb']:.0f} MB (goal ≤ 500); goals met: {r['goals_met']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=16)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--farm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.farm:
        asyncio.run(farm(args.feeds, args.port))
    else:
        result = asyncio.run(main(args))
        print(table(result))
        print(json.dumps(result))
