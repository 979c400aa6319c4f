"""Benchmark: match 1,000 tagged articles against 100,000 subscriptions on one core.

    python bench/bench_matching.py [--subs 100000] [--articles 1000] [--runs 3] [--seed 1]

Synthetic but shaped like the real thing: entity popularity and word frequency are Zipf
distributed; subscriptions mix entity pairs, entity + keyword alternatives, phrases,
NOT clauses, language/size filters, and 0.1 % pure-filter queries (the always-check list).

Baselines, measured in the same run on the same articles:
- **brute force (est.)**: build the MatchContext (same PhraseIndex pass) and evaluate a
  random 1,000-subscription sample with ``Query.matches``; the evaluation time is scaled
  by subs/1000 to estimate evaluating every subscription. This is what ``match`` would
  cost without the anchor index.
- **context only**: building the MatchContext alone (keyword scan + entity set) — the
  floor no index can beat.

Prints a markdown table and one JSON line. The index's results are checked against the
brute-force evaluation of the sample before timing.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.alerting.subscriptions import Subscription, SubscriptionIndex
from shared.records import (
    Article,
    Mention,
    StorySummary,
    StoryUpdate,
    TaggedArticle,
)

T0 = datetime(2025, 11, 25, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
N_ENTITIES = 5_000
N_WORDS = 30_000
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def word(i: int) -> str:
    out = []
    i += 1
    while i:
        i, r = divmod(i, len(SYLLABLES))
        out.append(SYLLABLES[r])
    return "".join(out) + "x"  # suffix keeps synthetic words from being prefixes of others


class Zipf:
    def __init__(self, n: int, s: float, rng: random.Random) -> None:
        weights = [1.0 / (k**s) for k in range(1, n + 1)]
        total = sum(weights)
        acc, cum = 0.0, []
        for w in weights:
            acc += w / total
            cum.append(acc)
        self.cum, self.rng, self.n = cum, rng, n

    def draw(self) -> int:
        return min(bisect.bisect_left(self.cum, self.rng.random()), self.n - 1)


def make_queries(n: int, rng: random.Random) -> list[str]:
    ent = Zipf(N_ENTITIES, 0.9, rng)

    def e() -> str:
        return f"@e{ent.draw()}"

    def kw() -> str:
        return word(rng.randrange(300, N_WORDS))  # users pick specific words, not "the"

    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            q = f"{e()} AND {e()}"
        elif r < 0.50:
            q = e()
        elif r < 0.65:
            q = f"{e()} AND ({kw()} OR {kw()})"
        elif r < 0.75:
            q = f'"{kw()} {kw()}" OR {e()}'
        elif r < 0.85:
            q = f"{e()} AND NOT {kw()} lang:de"
        elif r < 0.95:
            q = f"{kw()} {kw()} size>=3"
        elif r < 0.999:
            q = f"({e()} OR {e()}) AND NOT {e()}"
        else:
            q = f"lang:de AND NOT {e()}"
        out.append(q)
    return out


def make_subs(queries: list[str]) -> list[Subscription]:
    return [
        Subscription.model_validate(
            {
                "id": f"s{i}",
                "query": q,
                "channel": {"type": "webhook", "url": "https://hooks.example/x", "secret": SECRET},
            }
        )
        for i, q in enumerate(queries)
    ]


def make_updates(n: int, rng: random.Random) -> list[StoryUpdate]:
    words = Zipf(N_WORDS, 1.05, rng)
    ent = Zipf(N_ENTITIES, 0.9, rng)
    out = []
    for i in range(n):
        text = " ".join(word(words.draw()) for _ in range(rng.randint(150, 450)))
        title = " ".join(word(words.draw()) for _ in range(8))
        entities = sorted({f"e{ent.draw()}" for _ in range(rng.randint(2, 8))})
        mentions = tuple(
            Mention(entity=x, alias=x, text=x, field="text", start=0, end=1, snippet=x)
            for x in entities
        )
        lang = rng.choice(["de", "en", "en", "fr"])
        article = Article(
            id=f"a{i}",
            url=f"https://n.example/{i}",
            title=title,
            text=text,
            lang=lang,
            published=T0,
            fetched=T0,
            source="Reuters",
            feed="f",
        )
        story = StorySummary(
            id=f"st{i}",
            lang=lang,
            headline=title,
            revision=1,
            article_count=rng.randint(1, 6),
            source_count=1,
            first_seen=T0,
            last_seen=T0,
            entities=tuple(entities),
            terms=(),
            members=(),
        )
        out.append(
            StoryUpdate(
                story=story,
                article=TaggedArticle(article=article, mentions=mentions, watchlist_version="b"),
                is_new=True,
            )
        )
    return out


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subs", type=int, default=100_000)
    ap.add_argument("--articles", type=int, default=1_000)
    ap.add_argument("--sample", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", type=int, default=200, help="articles checked vs brute force")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    rng = random.Random(args.seed)
    t = time.perf_counter()
    subs = make_subs(make_queries(args.subs, rng))
    t_parse = time.perf_counter() - t
    t = time.perf_counter()
    index = SubscriptionIndex(subs)
    index.context(make_updates(1, random.Random(0))[0])  # builds the PhraseIndex
    t_index = time.perf_counter() - t
    updates = make_updates(args.articles, rng)
    sample = rng.sample(subs, min(args.sample, len(subs)))
    scale = len(subs) / len(sample)
    contexts = [index.context(u) for u in updates]

    # correctness: on the sample, the index finds exactly what brute force finds
    sample_ids = {s.id for s in sample}
    checked = updates[: args.check]
    matched = hits = 0
    for u, ctx in zip(checked, contexts, strict=False):
        found = index.match(u)
        hits += len(found)
        brute = sorted(s.id for s in sample if s.compiled.matches(ctx))
        got = sorted(s.id for s in found if s.id in sample_ids)
        assert got == brute, (u.article.article.id, got, brute)
        matched += len(got)

    def run_index() -> None:
        for u in updates:
            index.match(u)

    def run_context() -> None:
        for u in updates:
            index.context(u)

    def run_sample_eval() -> None:
        for ctx in contexts:
            for s in sample:
                s.compiled.matches(ctx)

    n = len(updates)
    idx_rates, ctx_rates, brute_rates, candidates = [], [], [], []
    for _ in range(args.runs):
        t_idx = timed(run_index)
        t_ctx = timed(run_context)
        t_eval = timed(run_sample_eval)
        idx_rates.append(n / t_idx)
        ctx_rates.append(n / t_ctx)
        brute_rates.append(n / (t_ctx + t_eval * scale))
    candidates = [len(index.candidates(c)) for c in contexts]

    def stats(xs: list[float]) -> dict[str, float]:
        return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}

    result = {
        "bench": "alerting_matching",
        "subscriptions": len(subs),
        "articles": n,
        "runs": args.runs,
        "python": platform.python_version(),
        "build_subscriptions_s": round(t_parse, 2),
        "build_index_s": round(t_index, 2),
        "always_check": len(index._always),  # reported only
        "mean_candidates_per_article": round(statistics.mean(candidates), 1),
        "matches_per_article": round(hits / len(checked), 2),
        "indexed_articles_per_s": {k: round(v, 1) for k, v in stats(idx_rates).items()},
        "context_only_articles_per_s": {k: round(v, 1) for k, v in stats(ctx_rates).items()},
        "brute_force_est_articles_per_s": {k: round(v, 2) for k, v in stats(brute_rates).items()},
        "speedup_vs_brute_force_median": round(
            statistics.median(idx_rates) / statistics.median(brute_rates), 1
        ),
        "checked_articles": len(checked),
        "sample_matches_checked": matched,
    }
    rows = [
        ("indexed `SubscriptionIndex.match`", stats(idx_rates)),
        (f"brute force (est.: context + {len(sample)}-sub sample × {scale:g})", stats(brute_rates)),
        ("context only (PhraseIndex pass + entity set)", stats(ctx_rates)),
    ]
    print(
        f"## Matching {n} articles against {len(subs):,} subscriptions (one core, "
        f"{args.runs} runs)\n"
    )
    print("| method | median articles/s | min | max |")
    print("|---|---:|---:|---:|")
    for name, s in rows:
        print(f"| {name} | {s['median']:,.1f} | {s['min']:,.1f} | {s['max']:,.1f} |")
    print(
        f"\nspeedup vs brute force: {result['speedup_vs_brute_force_median']}× · "
        f"candidates/article: {result['mean_candidates_per_article']} · "
        f"matches/article: {result['matches_per_article']} · "
        f"building {len(subs):,} subscriptions: {t_parse:.1f}s, index: {t_index:.1f}s\n"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
