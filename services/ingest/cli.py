"""The operator's commands of ``python -m services.ingest`` that never touch Kafka:
``check`` (try feeds), ``import-opml`` and ``export-opml`` (the feeds file ↔ OPML).

Each returns an exit code and prints one clear line for bad input, never a traceback:
0 done, 1 a feed or the input failed, 2 usage (bad arguments, unreadable feeds file).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from services.ingest import check as checking
from services.ingest.feeds import FeedsError, append_feeds, load_feeds, parse_feeds
from services.ingest.fetch import FetchError, fetch
from services.ingest.opml import OpmlError, new_feeds, read_opml, write_opml
from services.ingest.pipeline import fetch_limits, http_client
from shared.settings import Settings

__all__ = ["check", "export_opml", "import_opml"]

_OPML_ACCEPT = "text/x-opml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def check(
    settings: Settings, urls: list[str], *, as_json: bool, out: Callable[[str], None] = print
) -> int:
    """``check URL…``: articles on stdout, one ``ok``/``error`` line per feed on stderr."""

    def report(result: checking.FeedCheck) -> None:
        for article in result.articles:
            out(checking.dumps(article) if as_json else checking.article_line(article))
        _err(result.line)

    results = await checking.check_feeds(settings, urls, on_feed=report)
    return 0 if all(r.ok for r in results) else 1


async def _download(settings: Settings, url: str) -> bytes:
    async with http_client(settings) as http:
        fetched = await fetch(http, url, fetch_limits(settings, _OPML_ACCEPT))
    return fetched.body


def _read_source(settings: Settings, source: str) -> bytes:
    """The OPML document: fetched like a feed (same guard, caps, timeouts) or read."""
    if source.lower().startswith(("http://", "https://")):
        return asyncio.run(_download(settings, source))
    path = Path(source)
    if path.stat().st_size > settings.fetch_max_bytes:
        raise OpmlError("too_large", f"larger than {settings.fetch_max_bytes} bytes")
    return path.read_bytes()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def import_opml(settings: Settings, source: str, feeds_file: Path) -> int:
    """``import-opml FILE|URL``: add the outlines' feeds to the feeds file."""
    try:
        data = _read_source(settings, source)
        outlines = read_opml(data)
    except FetchError as exc:
        _err(f"error {source}: {exc.kind}: {exc}")
        return 1
    except OpmlError as exc:
        _err(f"error {source}: {exc.kind}: {exc}")
        return 1
    except OSError as exc:
        _err(f"error {source}: cannot read: {exc.strerror or exc}")
        return 1
    try:
        text = feeds_file.read_text(encoding="utf-8") if feeds_file.exists() else ""
        existing = parse_feeds(text, str(feeds_file))
        added, skipped = new_feeds(outlines, existing)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        updated = append_feeds(
            text, added, comment=f"imported from {source} on {stamp}", origin=str(feeds_file)
        )
        if added:
            _write_atomically(feeds_file, updated)
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"error {feeds_file}: cannot update: {exc}")
        return 2
    except FeedsError as exc:
        _err(f"error {exc}")
        return 2
    for feed in added:
        print(f"added {feed.url}" + (f"  [{feed.category}]" if feed.category else ""))
    why = ", ".join(f"{n} {reason}" for reason, n in skipped.items())
    total = sum(skipped.values())
    print(
        f"{source}: {len(outlines)} feeds, {len(added)} added to {feeds_file}"
        + (f", {total} skipped ({why})" if total else "")
    )
    return 0


def export_opml(feeds_file: Path, output: Path | None) -> int:
    """``export-opml``: the feeds file as OPML 2.0, on stdout or into ``output``."""
    try:
        feeds = load_feeds(feeds_file) if feeds_file.exists() else []
    except FeedsError as exc:
        _err(f"error {exc}")
        return 2
    document = write_opml(feeds, title="wirewatch feeds", now=datetime.now(UTC))
    if output is None:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
        return 0
    try:
        output.write_bytes(document)
    except OSError as exc:
        _err(f"error {output}: cannot write: {exc.strerror or exc}")
        return 2
    _err(f"wrote {len(feeds)} feeds to {output}")
    return 0
