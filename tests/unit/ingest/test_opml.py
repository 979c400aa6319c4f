"""OPML in and out: real exports from real readers (tests/data/opml, sources in
SOURCES.md), the feeds file edited without losing its comments or order, and hostile
OPML refused before any parser sees it."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import defusedxml.ElementTree
import pytest

from services.ingest.feeds import FeedConfig, FeedsError, append_feeds, parse_feeds
from services.ingest.opml import OpmlError, new_feeds, read_opml, write_opml
from shared.settings import ROOT

DATA = Path(__file__).resolve().parents[2] / "data" / "opml"
NEWSBLUR = DATA / "newsblur-netnewswire-export.opml"
NNW_DEFAULTS = DATA / "netnewswire-defaultfeeds.opml"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<opml version="2.0"><head><title>&lol9;</title></head>
<body><outline text="&lol9;" xmlUrl="https://example.org/feed"/></body></opml>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<opml version="1.0"><body><outline text="&leak;" xmlUrl="https://example.org/feed"/></body></opml>"""


def test_a_netnewswire_export_keeps_folders_nested_folders_and_titles() -> None:
    outlines = read_opml(NEWSBLUR.read_bytes())
    assert len(outlines) == 54
    assert outlines[0].url == "http://www.brownstoner.com/index.xml"
    assert outlines[0].title == "Brownstoner" and outlines[0].category == "New York"
    by_url = {o.url: o for o in outlines}
    failblog = by_url["http://feeds.feedburner.com/failblog"]
    assert failblog.category == "Blogs/The Bloglets"
    cellar = by_url["http://cellar.org/external.php?type=rss2&forumids=10"]  # &amp; decoded
    assert cellar.title == "The Cellar - Image of the Day"
    assert by_url["http://ajaxian.com/index.xml"].title == "Ajaxian » Front Page"
    assert by_url["http://www.ofbrooklyn.com/feeds/all/"].category is None  # top level
    assert {o.category for o in outlines} == {
        "New York", "tech", "Blogs", "Blogs/The Bloglets", "Cooking", None,
    }  # fmt: skip


def test_an_opml_2_document_without_folders() -> None:
    outlines = read_opml(NNW_DEFAULTS.read_bytes())
    assert len(outlines) == 16
    assert all(o.category is None for o in outlines)
    assert outlines[-1].url == "https://xcoders.org/feed.json"


def test_new_feeds_skips_what_the_file_has_by_canonical_url_and_repeats() -> None:
    outlines = read_opml(NEWSBLUR.read_bytes())
    existing = [FeedConfig(url="HTTP://DaringFireball.net:80/index.xml#top")]  # same, canonically
    repeated = [*outlines, outlines[1]]
    added, skipped = new_feeds(repeated, existing)
    assert len(added) == 53
    assert skipped == {"already in the feeds file": 1, "listed twice": 1}
    assert [f.url for f in added] == [o.url for o in outlines if "daringfireball" not in o.url]
    assert added[0] == FeedConfig(url=outlines[0].url, name="Brownstoner", category="New York")


def test_the_shipped_feeds_file_keeps_its_comments_when_feeds_are_added() -> None:
    shipped = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
    feeds = [FeedConfig("https://a.example/rss", "A: \"quoted\" & more", category="News/DE"),
             FeedConfig("https://b.example/atom")]  # fmt: skip
    out = append_feeds(shipped, feeds, comment="imported from x.opml")
    head, _, tail = shipped.rpartition("feeds: []")
    assert out.startswith(head + "feeds:\n")
    assert tail.strip() == ""
    assert parse_feeds(out) == feeds
    assert "  # imported from x.opml\n" in out


def test_a_block_list_gains_entries_at_its_end_in_order_with_its_indentation() -> None:
    text = (
        "# my feeds\nfeeds:\n    # German\n    - url: https://www.tagesschau.de/xml/rss2/\n"
        "      name: tagesschau   # short\n      interval: 600\n    - https://x.example/feed\n"
        "# end of list\n"
    )
    feeds = [FeedConfig("https://c.example/rss", "C", 120.0, "Tech")]
    out = append_feeds(text, feeds)
    assert out.startswith(text)
    assert out[len(text) :] == (
        '    - url: "https://c.example/rss"\n      name: "C"\n      interval: 120\n'
        '      category: "Tech"\n'
    )
    assert [f.url for f in parse_feeds(out)] == [
        "https://www.tagesschau.de/xml/rss2/", "https://x.example/feed", "https://c.example/rss",
    ]  # fmt: skip


def test_an_inline_list_is_not_rewritten() -> None:
    with pytest.raises(FeedsError, match="written inline"):
        append_feeds("feeds: [https://x.example/feed]\n", [FeedConfig("https://y.example/")])


def test_an_empty_or_missing_file_becomes_a_list() -> None:
    assert parse_feeds(append_feeds("", [FeedConfig("https://y.example/")])) == [
        FeedConfig("https://y.example/")
    ]


def test_export_is_opml_2_with_folders_and_reads_back_the_same() -> None:
    feeds = [
        FeedConfig("https://a.example/rss", "A & B <news>", category="News/Germany"),
        FeedConfig("https://b.example/atom", None, 300.0),
        FeedConfig("https://c.example/rss?x=1&y=2", "C", category="News"),
    ]
    data = write_opml(feeds, title="wirewatch feeds", now=datetime(2026, 12, 8, tzinfo=UTC))
    root = defusedxml.ElementTree.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/dateCreated") == "Tue, 08 Dec 2026 00:00:00 +0000"
    news = root.find("body/outline[@text='News']")
    assert news is not None and news.find("outline[@text='Germany']/outline") is not None
    back = read_opml(data)  # a folder holds its feeds together, where it first appears
    assert [(o.url, o.title, o.category) for o in back] == [
        ("https://a.example/rss", "A & B <news>", "News/Germany"),
        ("https://c.example/rss?x=1&y=2", "C", "News"),
        ("https://b.example/atom", "https://b.example/atom", None),
    ]


@pytest.mark.parametrize(
    "document",
    [
        BILLION_LAUGHS,
        XXE,
        codecs.BOM_UTF16_LE + BILLION_LAUGHS.decode().encode("utf-16-le"),
        BILLION_LAUGHS.replace(b'<?xml version="1.0"?>\n', b""),
    ],
    ids=["billion-laughs", "xxe-file", "billion-laughs-utf16", "no-declaration"],
)
def test_entity_declarations_are_refused_before_parsing(document: bytes) -> None:
    with pytest.raises(OpmlError) as refused:
        read_opml(document)
    assert refused.value.kind == "unsafe_xml"


@pytest.mark.parametrize(
    "document", [b"", b"<html><body>hello</body></html>", b"\xff\xfe\x00garbage", b"{}"]
)
def test_what_is_no_subscription_list_says_so(document: bytes) -> None:
    with pytest.raises(OpmlError) as refused:
        read_opml(document)
    assert refused.value.kind == "not_opml"
