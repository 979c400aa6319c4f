"""The feeds file: which feeds to poll and how often.

Format (YAML)::

    feeds:
      - url: https://www.tagesschau.de/xml/rss2/
        name: tagesschau        # optional: the article ``source``
        interval: 600           # optional: fixed poll interval in seconds
      - https://example.org/feed.xml   # short form: just the URL

An empty file or ``feeds: []`` means no feeds. Anything else raises ``FeedsError``
with a message that names the entry and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = ["FeedConfig", "FeedsError", "load_feeds", "parse_feeds"]


class FeedsError(ValueError):
    """The feeds file cannot be used; the message names the problem."""


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None
    interval_s: float | None = None


def _entry(index: int, raw: Any) -> FeedConfig:
    where = f"feeds[{index}]"
    if isinstance(raw, str):
        raw = {"url": raw}
    if not isinstance(raw, dict):
        raise FeedsError(f"{where}: expected a URL or a mapping with 'url', got {raw!r}")
    unknown = set(raw) - {"url", "name", "interval"}
    if unknown:
        raise FeedsError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        raise FeedsError(f"{where}: 'url' must be a non-empty string")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedsError(f"{where}: {url!r} is not an http(s) URL")
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise FeedsError(f"{where}: 'name' must be a non-empty string")
    interval = raw.get("interval")
    if interval is not None:
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
            raise FeedsError(f"{where}: 'interval' must be a positive number of seconds")
        interval = float(interval)
    return FeedConfig(url=url, name=name.strip() if name else None, interval_s=interval)


def parse_feeds(text: str, origin: str = "feeds file") -> list[FeedConfig]:
    """Feeds from YAML text; duplicates (same URL) keep the first entry."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FeedsError(f"{origin}: not valid YAML: {exc}") from None
    if doc is None:
        return []
    if not isinstance(doc, dict) or set(doc) - {"feeds"}:
        raise FeedsError(f"{origin}: expected a mapping with one key 'feeds'")
    items = doc.get("feeds") or []
    if not isinstance(items, list):
        raise FeedsError(f"{origin}: 'feeds' must be a list")
    feeds: dict[str, FeedConfig] = {}
    for i, raw in enumerate(items):
        try:
            feed = _entry(i, raw)
        except FeedsError as exc:
            raise FeedsError(f"{origin}: {exc}") from None
        feeds.setdefault(feed.url, feed)
    return list(feeds.values())


def load_feeds(path: Path) -> list[FeedConfig]:
    """Feeds from the YAML file at ``path``; ``FeedsError`` names the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsError(f"{path}: cannot read: {exc}") from None
    return parse_feeds(text, str(path))
