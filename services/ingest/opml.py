"""OPML ↔ feeds. Bytes in, plain values out; no network (``listparser`` is given bytes,
never a URL, or it would fetch with its own client).

``read_opml`` gets the same XML safety as feeds: a document that declares entities is
refused before any parser sees it (``xmlsafety.check_xml``, then defusedxml, which
raises ``EntitiesForbidden`` on any ``<!ENTITY``), so neither billion laughs nor XXE
reach listparser. Outlines nested in folders keep the folder path as their
``category`` (``"Blogs/The Bloglets"``). ``write_opml`` writes OPML 2.0, folders
rebuilt from the categories (a folder holds its feeds together, where it first appears).
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import defusedxml
import defusedxml.ElementTree
import listparser

from services.ingest.feeds import FeedConfig
from services.ingest.normalise import canonical_url
from services.ingest.xmlsafety import UnsafeXML, check_xml

__all__ = ["OpmlError", "Outline", "new_feeds", "read_opml", "write_opml"]

_DECLARED = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SPACE = re.compile(r"\s+")


class OpmlError(ValueError):
    """Not a usable subscription list. ``kind``: ``unsafe_xml``, ``not_opml`` or
    ``too_large``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Outline:
    url: str
    title: str | None = None
    category: str | None = None  # folder path, "/"-separated


def _text(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    declared = _DECLARED.match(data)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:  # an encoding name Python does not know
        return data.decode("utf-8", errors="replace")


def _refuse_entities(data: bytes) -> None:
    try:
        check_xml(data)
    except UnsafeXML as exc:
        raise OpmlError("unsafe_xml", str(exc)) from None
    try:
        defusedxml.ElementTree.fromstring(data, forbid_dtd=False)
    except defusedxml.DefusedXmlException as exc:  # EntitiesForbidden, ExternalReferenceForbidden
        raise OpmlError("unsafe_xml", f"refused before parsing: {exc}") from None
    except ET.ParseError:
        pass  # not well-formed: listparser recovers what it can (real exports are sloppy)


def _clean(value: object) -> str:
    return _SPACE.sub(" ", value).strip() if isinstance(value, str) else ""


def read_opml(data: bytes) -> list[Outline]:
    """The feeds of an OPML (or other listparser-readable) subscription list, in
    document order; ``OpmlError`` when it is unsafe or holds no subscription list."""
    _refuse_entities(data)
    # listparser without lxml decodes as UTF-8 itself: hand it UTF-8 bytes, never a str
    # (a str that starts with http:// would be fetched).
    try:
        result = listparser.parse(_text(data).encode("utf-8"))
    except Exception as exc:  # hostile input must never crash the command
        raise OpmlError("not_opml", f"listparser failed: {type(exc).__name__}: {exc}") from None
    feeds = result.get("feeds") or []
    if not feeds and not result.get("version"):
        reason = result.get("bozo_exception")
        raise OpmlError("not_opml", f"not an OPML subscription list ({reason or 'no <opml>'})")
    outlines = []
    for feed in feeds:
        url = _clean(feed.get("url"))
        if not url:
            continue
        paths = [p for p in feed.get("categories") or [] if p]
        category = "/".join(_clean(part).replace("/", "-") for part in paths[0]) if paths else ""
        outlines.append(Outline(url, _clean(feed.get("title")) or None, category or None))
    return outlines


def _folder(parents: dict[str, ET.Element], body: ET.Element, category: str) -> ET.Element:
    node = body
    path = ""
    for part in category.split("/"):
        path = f"{path}/{part}" if path else part
        if path not in parents:
            parents[path] = ET.SubElement(node, "outline", {"text": part, "title": part})
        node = parents[path]
    return node


def write_opml(feeds: list[FeedConfig], *, title: str, now: datetime) -> bytes:
    """OPML 2.0 of ``feeds`` (folders from their categories, feed order kept)."""
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    parents: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = _folder(parents, body, feed.category) if feed.category else body
        name = feed.name or feed.url
        ET.SubElement(
            parent, "outline", {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
        )
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _key(url: str) -> str | None:
    try:
        return canonical_url(url)
    except ValueError:
        return None


def new_feeds(
    outlines: list[Outline], existing: list[FeedConfig]
) -> tuple[list[FeedConfig], Counter[str]]:
    """The outlines not yet in ``existing`` (same canonical URL = same feed), as feeds
    in document order, and why the others were skipped (reason → count)."""
    present = {key for feed in existing if (key := _key(feed.url))}
    taken: set[str] = set()
    added: list[FeedConfig] = []
    skipped: Counter[str] = Counter()
    for outline in outlines:
        key = _key(outline.url)
        if key is None:
            skipped["not an http(s) URL"] += 1
        elif key in present:
            skipped["already in the feeds file"] += 1
        elif key in taken:
            skipped["listed twice"] += 1
        else:
            taken.add(key)
            added.append(FeedConfig(url=outline.url, name=outline.title, category=outline.category))
    return added, skipped
