"""``python -m services.stories cluster``: cluster a JSONL (or Miranda et al. JSON)
archive offline with the streaming core, and optionally score it against gold labels."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta

from .archive import ArchiveError, read
from .clustering import StoryIndex
from .offline import baseline, replay, report
from .scoring import DORMANT_AFTER, LINK_THRESHOLD, THRESHOLD

__all__ = ["cluster_main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.stories cluster",
        description="Group archived articles into stories. Prints one JSON line per "
        'article ({"id": ..., "story": ...}), or with --evaluate one JSON line per '
        "language with pairwise and B-cubed precision/recall/F1 against the gold "
        "'story' (or 'cluster') labels, the new-story alerts per real story, the plain "
        "TF-IDF baseline beside them, and one line for cross-lingual links ('event').",
    )
    parser.add_argument(
        "archive", nargs="?", default="-", help="JSONL or JSON-list file; '-' or absent reads stdin"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help=f"minimum article-story similarity to join (default {THRESHOLD})",
    )
    parser.add_argument(
        "--dormant-hours",
        type=float,
        default=DORMANT_AFTER.total_seconds() / 3600,
        help="a story without articles for this long is closed (default 72)",
    )
    parser.add_argument(
        "--link-threshold",
        type=float,
        default=LINK_THRESHOLD,
        help=f"minimum cross-lingual similarity to link stories (default {LINK_THRESHOLD})",
    )
    parser.add_argument(
        "--evaluate",
        action="store_true",
        help="print scores against the gold labels instead of assignments",
    )
    return parser


def cluster_main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.archive == "-":
            text = sys.stdin.read()
        else:
            with open(args.archive, encoding="utf-8") as handle:
                text = handle.read()
        entries = read(text)
    except (OSError, ArchiveError, ValueError) as exc:
        print(f"cluster: cannot read {args.archive}: {exc}", file=sys.stderr)
        return 2
    index = StoryIndex(
        threshold=args.threshold,
        dormant_after=timedelta(hours=args.dormant_hours),
        link_threshold=args.link_threshold,
    )
    result = replay(entries, index)
    if args.evaluate:
        scores = report(entries, result, baseline(entries))
        if not any(key != "links" for key in scores):
            print("cluster: no gold 'story' or 'cluster' labels to evaluate", file=sys.stderr)
            return 2
        for lang, values in scores.items():
            print(json.dumps({"lang": lang, **values}))
        return 0
    for entry, story in zip(entries, result.stories, strict=True):
        print(json.dumps({"id": entry.article.article.id, "story": story}))
    return 0


if __name__ == "__main__":
    raise SystemExit(cluster_main())
