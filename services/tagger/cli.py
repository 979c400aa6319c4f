"""``python -m services.tagger tag``: tag articles from stdin with a watchlist, no Kafka.

Input: one article per line, as JSON (``{"id", "title", "text", "lang"}``, all optional)
or, when a line is not a JSON object or with ``--plain``, as plain text. Output: one JSON
line per article, ``{"id": ..., "mentions": [...]}``. Plain lines get the id
``line-<n>``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from services.tagger.explain import Explainer
from services.tagger.matcher import Matcher
from services.tagger.watchlist import WatchlistError, load_watchlist
from shared import settings

__all__ = ["tag_main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.tagger tag",
        description="Tag articles (JSON lines or plain text on stdin) with a watchlist.",
    )
    parser.add_argument(
        "--watchlist", type=Path, help="watchlist YAML (default: WIREWATCH_WATCHLIST_FILE)"
    )
    parser.add_argument("--plain", action="store_true", help="every line is plain text")
    parser.add_argument("--lang", help="language for lines that do not give one")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also list the candidates found and dropped, with the rule that dropped each",
    )
    return parser


def _article(line: str, number: int, *, plain: bool) -> dict[str, Any]:
    if not plain and line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            return data
    return {"id": f"line-{number}", "title": "", "text": line.rstrip("\r\n")}


def tag_lines(
    matcher: Matcher,
    lines: TextIO,
    out: TextIO,
    *,
    plain: bool,
    lang: str | None,
    explain: bool = False,
) -> int:
    explainer = Explainer(matcher) if explain else None
    count = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        article = _article(line, number, plain=plain)
        title, text = str(article.get("title") or ""), str(article.get("text") or "")
        language = article.get("lang") or lang
        record: dict[str, Any] = {"id": article.get("id", f"line-{number}")}
        if explainer is None:
            mentions = matcher.find_mentions(title, text, language)
        else:
            mentions, dropped = explainer.explain(title, text, language)
        record["mentions"] = [m.model_dump() for m in mentions]
        if explainer is not None:
            record["dropped"] = [d.to_json() for d in dropped]
        print(json.dumps(record, ensure_ascii=False), file=out)
        count += 1
    return count


def tag_main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path = args.watchlist
    if path is None:
        path = settings.get().watchlist_file
    try:
        matcher = Matcher(load_watchlist(path))
    except WatchlistError as exc:
        print(f"tag: {exc}", file=sys.stderr)
        return 2
    tag_lines(
        matcher, sys.stdin, sys.stdout, plain=args.plain, lang=args.lang, explain=args.explain
    )
    return 0
