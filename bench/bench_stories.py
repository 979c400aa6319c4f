"""Benchmark of the story-clustering core at 1,000, 10,000 and 100,000 live stories.

Each size runs in its own process (so peak RSS is that size's): the index is filled
with synthetic stories through ``StoryIndex.load`` (Zipf-distributed vocabulary and
names, German and English; each state goes through JSON first, as a restarted worker
reads it from the changelog), then a fixed batch of synthetic articles — half about
existing stories, half new — is assigned, timed, ``--runs`` times. Throughput is
counted in process CPU time (the machine is shared; wall-clock rates are printed
beside it). Articles are title + lead sized (~50 words). Goal: ≥ 2,000
articles/s at 100,000 live stories within 2 GB, nearly flat from 1k to 100k.

``export_us`` is the CPU cost per article of what the Faust shell does after each
assign: ``index.export(story.id)`` and serialising it as its table does (orjson).

    python bench/bench_stories.py            # all sizes, markdown table + JSON line
    python bench/bench_stories.py --size 1000 --runs 3   # one size, JSON line
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from services.stories.clustering import Limits, StoryIndex
from services.stories.scoring import centroid_norm, idf
from services.stories.tokens import name_key, terms
from shared.records import TaggedArticle
from tests.support import records

SIZES = (1_000, 10_000, 100_000)
BATCH = 2_000
NOW = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)
VOCAB, NAMES = 40_000, 15_000
LANGS = ("en", "de")


class Corpus:
    """Pseudo-words with Zipf frequencies, and their stems per language."""

    def __init__(self, rng: random.Random) -> None:
        syllables = [
            "ka",
            "lo",
            "mi",
            "ter",
            "san",
            "dor",
            "vel",
            "pru",
            "gan",
            "tis",
            "mor",
            "bel",
            "quin",
            "zar",
            "fo",
            "ret",
            "lun",
            "pax",
            "dru",
            "sol",
        ]
        self.words = list(
            dict.fromkeys(
                "".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(VOCAB * 2)
            )
        )[:VOCAB]
        self.names = [w.capitalize() + "x" for w in self.words[:NAMES]]
        self.word_weights = list(accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.name_weights = list(
            accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(self.names)))
        )
        self.stems = {lang: {w: (terms(w, lang) or [w])[0] for w in self.words} for lang in LANGS}
        for lang in LANGS:  # a long-running worker's stem cache knows its names too
            terms(" ".join(self.names), lang)
        self.rng = rng

    def draw_words(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.word_weights, k=k)

    def draw_names(self, k: int) -> list[str]:
        return self.rng.choices(self.names, cum_weights=self.name_weights, k=k)


def _state(
    corpus: Corpus, n: int, words: list[str], names: list[str], lang: str, last_seen: datetime
) -> dict[str, Any]:
    stems = corpus.stems[lang]
    size = corpus.rng.randint(1, 6)
    body = {stems[w]: corpus.rng.randint(1, size) for w in words}
    title = {stems[w]: 1 for w in words[:8]}
    name_counts = {name_key(x): corpus.rng.randint(1, size) for x in names}
    return {
        "id": f"st_bench{n:07d}",
        "lang": lang,
        "seq": n + 1,
        "first_seen": (last_seen - timedelta(hours=6)).isoformat(),
        "last_seen": last_seen.isoformat(),
        "headline": " ".join(words[:8]),
        "headline_terms": sorted(title),
        "revision": size,
        "article_count": size,
        "title": title,
        "body": body,
        "names": name_counts,
        "entities": {},
        "sources": ["bench"],
        "members": [f"b{n}-{i}" for i in range(size)],
        "term_keys": [],
        "name_keys": [],
        "top_terms": [],
        "links": [],
        "norms": [1.0, 1.0, 1.0],
    }


def _by_weight(counts: dict[str, int], weight: Callable[[str], float]) -> list[str]:
    """Terms by count times weight, heaviest first."""
    return sorted(counts, key=lambda t: -counts[t] * weight(t))


def _finish(states: list[dict[str, Any]]) -> None:
    """Keys and norms as the index would have computed them, from the states' IDF."""
    for lang in LANGS:
        mine = [s for s in states if s["lang"] == lang]
        docs = sum(s["article_count"] for s in mine)
        df: dict[str, int] = {}
        ndf: dict[str, int] = {}
        for s in mine:
            for t, c in s["body"].items():
                df[t] = df.get(t, 0) + c
            for t, c in s["names"].items():
                ndf[t] = ndf.get(t, 0) + c

        def term_w(t: str, df: dict[str, int] = df, docs: int = docs) -> float:
            return idf(df.get(t, 0), docs)

        def name_w(t: str, ndf: dict[str, int] = ndf, docs: int = docs) -> float:
            return idf(ndf.get(t, 0), docs)

        for s in mine:
            ranked = _by_weight(s["body"], term_w)
            s["term_keys"] = list(
                dict.fromkeys(ranked[: Limits.term_keys] + sorted(s["title"])[: Limits.title_keys])
            )
            s["name_keys"] = _by_weight(s["names"], name_w)[: Limits.name_keys]
            s["top_terms"] = ranked[: Limits.top_terms]
            s["norms"] = [
                centroid_norm(s["title"], term_w),
                centroid_norm(s["body"], term_w),
                centroid_norm(s["names"], name_w),
            ]


def _article(
    n: int, lang: str, words: list[str], names: list[str], published: datetime
) -> TaggedArticle:
    title = " ".join(words[:8]) + " " + " ".join(names[:2])
    sentences = []
    for i in range(0, len(words), 12):
        sentences.append(" ".join(words[i : i + 12]) + " " + names[(i // 12) % len(names)] + ".")
    text = " ".join(sentences) + f" {n % 97},{n % 10} 2025."
    article = records.article(
        f"bench-{n}",
        url=f"https://example.org/{n}",
        title=title,
        text=text,
        lang=lang,
        published=published,
        source="bench",
        feed="bench",
    )
    return records.tagged(article, watchlist_version="bench")


def run_size(size: int, runs: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    corpus = Corpus(rng)
    stories: list[tuple[list[str], list[str], str]] = []
    states = []
    for n in range(size):
        lang = LANGS[n % 2]
        words, names = corpus.draw_words(45), corpus.draw_names(8)
        stories.append((words, names, lang))
        last_seen = NOW - timedelta(minutes=rng.randint(0, 48 * 60))
        states.append(_state(corpus, n, words, names, lang, last_seen))
    _finish(states)
    index = StoryIndex()
    fill_start = time.perf_counter()
    for state in states:
        index.load(json.loads(json.dumps(state)))  # as restored from the changelog
    del states
    batches = []
    for r in range(runs + 1):  # batch 0 warms up (and rebuilds the postings after load)
        batch = []
        for i in range(BATCH if r else 50):
            n = r * BATCH + i
            published = NOW + timedelta(seconds=n)
            if rng.random() < 0.5:  # a follow-up: mostly the words of a live story
                words, names, lang = rng.choice(stories)
                words = rng.sample(words, 30) + corpus.draw_words(15)
                names = rng.sample(names, 5) + corpus.draw_names(2)
            else:
                lang = LANGS[i % 2]
                words, names = corpus.draw_words(45), corpus.draw_names(7)
            batch.append(_article(n, lang, words, names, published))
        batches.append(batch)
    fill = time.perf_counter() - fill_start
    rates, wall_rates, exports, joined = [], [], [], 0
    for r, batch in enumerate(batches):
        story_ids = []
        start, cpu_start = time.perf_counter(), time.process_time()
        for article in batch:
            story, is_new = index.assign(article, article.article.published)
            joined += not is_new
            story_ids.append(story.id)
        cpu, wall = time.process_time() - cpu_start, time.perf_counter() - start
        cpu_start = time.process_time()  # the shell's table write, after the batch
        for story_id in story_ids:
            if story_id in index:
                orjson.dumps(index.export(story_id), option=orjson.OPT_NON_STR_KEYS)
        export = time.process_time() - cpu_start
        if r:
            rates.append(len(batch) / cpu)
            wall_rates.append(len(batch) / wall)
            exports.append(export / len(batch) * 1e6)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "live_stories": size,
        "live_after": len(index),
        "runs": runs,
        "batch": BATCH,
        "articles_per_s": {
            "median": round(statistics.median(rates)),
            "min": round(min(rates)),
            "max": round(max(rates)),
        },
        "articles_per_wall_s": {
            "median": round(statistics.median(wall_rates)),
            "min": round(min(wall_rates)),
            "max": round(max(wall_rates)),
        },
        "export_us": round(statistics.median(exports), 1),
        "joined_share": round(joined / sum(len(b) for b in batches), 3),
        "setup_s": round(fill, 1),
        "peak_rss_mb": round(peak_mb),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="one size, in this process")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.size:
        print(json.dumps(run_size(args.size, args.runs)))
        return 0
    results = []
    for size in SIZES:
        out = subprocess.run(
            [sys.executable, __file__, "--size", str(size), "--runs", str(args.runs)],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        "| live stories | articles/CPU-s median | min | max | articles/wall-s median "
        "| joined | export µs/article | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        a, w = r["articles_per_s"], r["articles_per_wall_s"]
        print(
            f"| {r['live_stories']:,} | {a['median']:,} | {a['min']:,} | {a['max']:,} "
            f"| {w['median']:,} | {r['joined_share']:.0%} | {r['export_us']} "
            f"| {r['peak_rss_mb']:,} |"
        )
    ratio = results[-1]["articles_per_s"]["median"] / results[0]["articles_per_s"]["median"]
    print(json.dumps({"bench": "stories", "results": results, "ratio_100k_vs_1k": round(ratio, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
