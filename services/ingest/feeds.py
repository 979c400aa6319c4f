"""The feeds file: which feeds to poll and how often.

Format (YAML)::

    feeds:
      - url: https://www.tagesschau.de/xml/rss2/
        name: tagesschau        # optional: the article ``source``
        interval: 600           # optional: fixed poll interval in seconds
        category: News/Germany  # optional: folder path (kept by import-opml/export-opml)
      - https://example.org/feed.xml   # short form: just the URL

An empty file or ``feeds: []`` means no feeds. Anything else raises ``FeedsError``
with a message that names the entry and the problem.

``append_feeds`` adds entries to the file's text without touching what is there
(comments, order, formatting): the new entries go at the end of the list, and the
result is parsed again to prove the old entries are unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = ["FeedConfig", "FeedsError", "append_feeds", "load_feeds", "parse_feeds"]


class FeedsError(ValueError):
    """The feeds file cannot be used; the message names the problem."""


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None
    interval_s: float | None = None
    category: str | None = None


def _entry(index: int, raw: Any) -> FeedConfig:
    where = f"feeds[{index}]"
    if isinstance(raw, str):
        raw = {"url": raw}
    if not isinstance(raw, dict):
        raise FeedsError(f"{where}: expected a URL or a mapping with 'url', got {raw!r}")
    unknown = set(raw) - {"url", "name", "interval", "category"}
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
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not category.strip("/ ")):
        raise FeedsError(f"{where}: 'category' must be a non-empty string")
    return FeedConfig(
        url=url,
        name=name.strip() if name else None,
        interval_s=interval,
        category=category.strip("/ ") if category else None,
    )


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


_FEEDS_KEY = re.compile(r"^feeds:[ \t]*(?P<rest>[^#\n]*?)[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
_ITEM = re.compile(r"^(?P<indent>[ \t]*)- ", re.MULTILINE)
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _scalar(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(_UNSAFE_CHARS.sub(" ", value).strip(), ensure_ascii=False)


def _entry_text(feed: FeedConfig, indent: str) -> str:
    lines = [f"{indent}- url: {_scalar(feed.url)}"]
    if feed.name:
        lines.append(f"{indent}  name: {_scalar(feed.name)}")
    if feed.interval_s:
        lines.append(f"{indent}  interval: {feed.interval_s:g}")
    if feed.category:
        lines.append(f"{indent}  category: {_scalar(feed.category)}")
    return "\n".join(lines) + "\n"


def append_feeds(
    text: str, feeds: list[FeedConfig], *, comment: str = "", origin: str = "feeds file"
) -> str:
    """``text`` with ``feeds`` appended to its list; ``FeedsError`` if that cannot be
    done without changing the entries already there."""
    before = parse_feeds(text, origin)
    if not feeds:
        return text
    key = _FEEDS_KEY.search(text)
    if key is None:
        head = text if not text or text.endswith("\n") else text + "\n"
        out, indent = head + "feeds:\n", "  "
    elif key.group("rest") in ("", "[]"):
        # ``feeds:`` or ``feeds: []``: the entries follow the key line; after it, the file
        # holds only comments (one key), so they may as well go at its end.
        line = text[key.start() : key.end()]
        fixed = line.replace("[]", "", 1).rstrip() if key.group("rest") else line
        out = text[: key.start()] + fixed + text[key.end() :]
        item = _ITEM.search(text, key.end())
        indent = item.group("indent") if item else "  "
        out = out if out.endswith("\n") else out + "\n"
    else:
        raise FeedsError(
            f"{origin}: the feeds list is written inline ({key.group('rest')[:40]}); "
            "write it as a block list (one '- url: …' per line) to add feeds to it"
        )
    if comment:
        out += f"{indent}# {_UNSAFE_CHARS.sub(' ', comment)}\n"
    out += "".join(_entry_text(feed, indent) for feed in feeds)
    after = parse_feeds(out, origin)
    if after[: len(before)] != before or len(after) != len(before) + len(feeds):
        raise FeedsError(f"{origin}: adding the feeds would change existing entries; not written")
    return out
