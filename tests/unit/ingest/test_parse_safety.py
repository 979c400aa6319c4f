"""XML safety before parsing, and what feedparser is (not) allowed to do."""

from __future__ import annotations

import time

import pytest

from services.ingest.parse import ParseError, parse_feed
from services.ingest.xmlsafety import UnsafeXML, check_xml

URL = "https://feed.example/rss"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><title>&lol3;</title>
<item><title>&lol3;</title><link>https://feed.example/a</link></item></channel></rss>"""


def quadratic_blowup(size: int = 100_000, uses: int = 2_000) -> bytes:
    body = "&big;" * uses
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{"x" * size}">]>'
        f'<rss version="2.0"><channel><title>q</title><item><title>t</title>'
        f"<link>https://feed.example/a</link><description>{body}</description></item>"
        f"</channel></rss>"
    ).encode()


XXE_LOCAL_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title>
<item><title>&xxe;</title><link>https://feed.example/a</link></item></channel></rss>"""

PLAIN = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Plain</title>
<item><title>One</title><link>https://feed.example/1</link><description>Body</description></item>
</channel></rss>"""


@pytest.mark.parametrize(
    "doc",
    [
        BILLION_LAUGHS,
        quadratic_blowup(),
        XXE_LOCAL_FILE,
        b'<!DOCTYPE x [<!ENTITY a "b">]><x/>',
        b'<!doctype x [<!entity a "b">]><x/>',
        BILLION_LAUGHS.decode().encode("utf-16"),
        BILLION_LAUGHS.decode().encode("utf-16-be"),
        BILLION_LAUGHS.decode().encode("utf-32"),
        '<?xml version="1.0" encoding="cp037"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'.encode("cp037"),
    ],
    ids=["billion-laughs", "quadratic", "xxe-file", "minimal", "lowercase", "utf16", "utf16be",
         "utf32", "ebcdic"],
)  # fmt: skip
def test_entity_declarations_are_refused_before_parsing(doc):
    with pytest.raises(UnsafeXML):
        check_xml(doc)
    started = time.perf_counter()
    with pytest.raises(ParseError) as err:
        parse_feed(doc, URL)
    assert err.value.kind == "unsafe_xml"
    assert time.perf_counter() - started < 0.5


def test_a_doctype_without_entities_and_cdata_mentioning_entities_pass():
    check_xml(PLAIN)
    check_xml(b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://x/rss.dtd"><rss/>')
    check_xml(b"<rss><item><description><![CDATA[<!ENTITY in text>]]></description></item></rss>")


def test_plain_feed_parses_from_bytes():
    feed = parse_feed(PLAIN, URL, name="Configured")
    assert feed.meta.title == "Plain" and feed.meta.name == "Configured"
    assert [(e.title, e.link, e.summary) for e in feed.entries] == [
        ("One", "https://feed.example/1", "Body")
    ]


def test_external_dtd_is_never_fetched():
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        b'"http://127.0.0.1:9/never.dtd"><rss version="2.0"><channel><title>t</title>'
        b"<item><title>x</title><link>https://feed.example/x</link></item></channel></rss>"
    )
    feed = parse_feed(doc, URL)  # port 9 is closed: a fetch attempt would show as an error
    assert [e.title for e in feed.entries] == ["x"]


@pytest.mark.parametrize(
    "doc", [b"", b"not xml at all", b"<html><body>hi</body></html>", b"\x00\xff" * 50]
)
def test_not_a_feed(doc):
    with pytest.raises(ParseError) as err:
        parse_feed(doc, URL)
    assert err.value.kind == "not_a_feed"


def test_feedparser_passes_javascript_links_through_so_normalise_must_refuse_them():
    doc = b"""<rss version="2.0"><channel><title>t</title>
<item><title>x</title><link>javascript:alert(1)</link></item></channel></rss>"""
    (entry,) = parse_feed(doc, URL).entries
    assert entry.link.startswith("javascript:")  # normalise.canonical_url refuses it


def test_relative_links_resolve_against_the_final_url():
    doc = b"""<rss version="2.0" xml:base="https://feed.example/news/"><channel><title>t</title>
<item><title>x</title><link>story.html</link></item></channel></rss>"""
    (entry,) = parse_feed(doc, URL, final_url="https://feed.example/news/rss").entries
    assert entry.link == "https://feed.example/news/story.html"


def test_http_charset_decodes_a_latin1_body():
    doc = '<rss version="2.0"><channel><title>Grüße</title></channel></rss>'.encode("latin-1")
    feed = parse_feed(doc, URL, content_type="application/rss+xml; charset=iso-8859-1")
    assert feed.meta.title == "Grüße"
