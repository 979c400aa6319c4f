"""Bytes → ``ParsedFeed``. No network: feedparser is given bytes, never a URL.

Entity declarations are refused first (``xmlsafety``). feedparser recovers from a lot
of broken XML ("bozo" documents); a bozo document that still yields a feed is used,
one that yields nothing is a ``ParseError`` with feedparser's reason.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from services.ingest.xmlsafety import UnsafeXML, check_xml

__all__ = ["FeedMeta", "ParseError", "ParsedEntry", "ParsedFeed", "parse_feed"]


class ParseError(ValueError):
    """Not a usable feed. ``kind``: ``unsafe_xml`` or ``not_a_feed``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class FeedMeta:
    url: str  # the configured feed URL
    title: str = ""
    link: str = ""
    language: str = ""
    name: str | None = None  # configured name, wins over the title as the source


@dataclass(frozen=True)
class ParsedEntry:
    guid: str = ""
    link: str = ""
    title: str = ""
    title_type: str = "text/plain"
    content: str = ""  # the longest full-content body, HTML or text
    content_type: str = "text/html"
    summary: str = ""
    summary_type: str = "text/html"
    published: datetime | None = None
    updated: datetime | None = None
    language: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    meta: FeedMeta
    entries: tuple[ParsedEntry, ...]
    version: str = ""
    problem: str | None = None  # feedparser's bozo reason, if it recovered


def _when(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _entry(raw: Mapping[str, Any]) -> ParsedEntry:
    contents = [c for c in raw.get("content") or [] if isinstance(c, Mapping)]
    best = max(contents, key=lambda c: len(_str(c.get("value"))), default={})
    title_detail = raw.get("title_detail") or {}
    summary_detail = raw.get("summary_detail") or {}
    return ParsedEntry(
        guid=_str(raw.get("id")).strip(),
        link=_str(raw.get("link")).strip(),
        title=_str(raw.get("title")),
        title_type=_str(title_detail.get("type")) or "text/plain",
        content=_str(best.get("value")),
        content_type=_str(best.get("type")) or "text/html",
        summary=_str(raw.get("summary")),
        summary_type=_str(summary_detail.get("type")) or "text/html",
        published=_when(raw.get("published_parsed")),
        updated=_when(raw.get("updated_parsed")),
        language=_str(title_detail.get("language")) or _str(summary_detail.get("language")),
    )


def parse_feed(
    data: bytes,
    feed_url: str,
    *,
    final_url: str | None = None,
    content_type: str | None = None,
    name: str | None = None,
) -> ParsedFeed:
    """Parse a feed document. ``final_url`` (after redirects) resolves relative links;
    ``content_type`` may carry the HTTP charset."""
    try:
        check_xml(data)
    except UnsafeXML as exc:
        raise ParseError("unsafe_xml", str(exc)) from None
    headers = {"content-location": final_url or feed_url}
    if content_type:
        headers["content-type"] = content_type
    try:
        result = feedparser.parse(data, response_headers=headers)
    except Exception as exc:  # hostile input must never crash the poller
        raise ParseError("not_a_feed", f"feedparser failed: {type(exc).__name__}: {exc}") from None
    problem = None
    if result.get("bozo"):
        bozo = result.get("bozo_exception")
        problem = f"{type(bozo).__name__}: {bozo}" if bozo else "malformed"
    entries = tuple(_entry(e) for e in result.get("entries") or [])
    version = _str(result.get("version"))
    feed = result.get("feed") or {}
    if not entries and not version and (problem or not feed):
        raise ParseError("not_a_feed", f"not a feed ({problem or 'no RSS/Atom root'})")
    meta = FeedMeta(
        url=feed_url,
        title=_str(feed.get("title")),
        link=_str(feed.get("link")),
        language=_str(feed.get("language")),
        name=name,
    )
    return ParsedFeed(meta=meta, entries=entries, version=version, problem=problem)
