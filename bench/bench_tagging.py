"""Tagging throughput against a raw pyahocorasick scan of the same text.

For the default watchlist and for one with 10,000 synthetic aliases, times
``Matcher.find_mentions`` over the seed articles (repeated to ~1 MB) and a bare
``for _ in automaton.iter(text)`` with an automaton of the same number of patterns, in
the same run. Ratio = core MB/s / raw MB/s (goal: >= 0.5). Prints a markdown table and
one JSON line. Usage: ``python bench/bench_tagging.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.tagger.matcher import Matcher  # noqa: E402 - after the path fix
from services.tagger.watchlist import load_watchlist, parse_watchlist  # noqa: E402

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
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
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
    print(json.dumps({"bench": "tagging", "runs": args.runs, "results": rows}))


if __name__ == "__main__":
    main()
