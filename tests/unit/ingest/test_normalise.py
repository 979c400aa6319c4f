"""Normalisation: canonical URLs, ids, clean text, dates, language, entry → Article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.ingest.normalise import (
    article_id,
    canonical_url,
    clean_text,
    detect_language,
    normalise_entry,
    plausible_published,
    to_article,
)
from services.ingest.parse import FeedMeta, ParsedEntry

FETCHED = datetime(2025, 6, 3, 12, 0, tzinfo=UTC)
FEED = FeedMeta(
    url="https://news.example/feed.xml", title="Example News", link="https://news.example/"
)


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        ("HTTP://News.Example.COM/a", None, "http://news.example.com/a"),
        ("https://news.example:443/a", None, "https://news.example/a"),
        ("http://news.example:80/a", None, "http://news.example/a"),
        ("http://news.example:8080/a", None, "http://news.example:8080/a"),
        ("https://news.example", None, "https://news.example/"),
        ("https://news.example/a#comments", None, "https://news.example/a"),
        ("https://news.example/a?utm_source=rss&utm_medium=feed", None, "https://news.example/a"),
        (
            "https://news.example/a?id=7&fbclid=XYZ&gclid=1&b=2",
            None,
            "https://news.example/a?id=7&b=2",
        ),
        ("https://news.example/a?UTM_Campaign=x&page=2", None, "https://news.example/a?page=2"),
        (
            "/2025/06/story.html",
            "https://news.example/feed.xml",
            "https://news.example/2025/06/story.html",
        ),
        (
            "story?x=1#top",
            "https://news.example/section/",
            "https://news.example/section/story?x=1",
        ),
        ("//cdn.example/x", "https://news.example/", "https://cdn.example/x"),
        ("  https://news.example/a  ", None, "https://news.example/a"),
        ("https://news.example./a", None, "https://news.example/a"),
        ("https://[2001:DB8::1]:443/a", None, "https://[2001:db8::1]/a"),
        ("https://news.example/a%20b?q=a+b", None, "https://news.example/a%20b?q=a+b"),
    ],
)
def test_canonical_url(raw, base, expected):
    assert canonical_url(raw, base) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://news.example/a",
        "file:///etc/passwd",
        "mailto:a@news.example",
        "https:///nohost",
        "https://user:pw@news.example/a",
    ],
)
def test_canonical_url_refuses_non_http_links(raw):
    with pytest.raises(ValueError):
        canonical_url(raw)


def test_article_id_is_stable_and_depends_on_the_canonical_url():
    a = article_id(canonical_url("https://News.example/a?utm_source=x#f"))
    assert a == article_id("https://news.example/a")
    assert a != article_id("https://news.example/b")
    assert a.startswith("a_") and len(a) == 26
    assert a == "a_" + __import__("hashlib").sha256(b"https://news.example/a").hexdigest()[:24]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>One.</p><p>Two.</p>", "One.\n\nTwo."),
        ("One.\n\nTwo.", "One.\n\nTwo."),
        ("One.\r\n\r\nTwo.\r\nstill two", "One.\n\nTwo. still two"),
        ("<p>  spaced   out\n text </p>", "spaced out text"),
        ("Line<br>break", "Line break"),
        ("Para<br/><br/>graph", "Para\n\ngraph"),
        ("<div><h2>Head</h2><ul><li>a</li><li>b</li></ul></div>", "Head\n\na\n\nb"),
        ("AT&amp;T &lt;b&gt; &#8220;quoted&#8221; &euro;5", "AT&T <b> “quoted” €5"),
        ("a < b and c > d", "a < b and c > d"),
        ("<script>alert('x')</script>visible", "visible"),
        ("<style>p{color:red}</style>visible", "visible"),
        ('<img src=x onerror="alert(1)">caption', "caption"),
        ('<a href="javascript:alert(1)">click</a> here', "click here"),
        ("<iframe src='http://evil/'></iframe><object>o</object>ok", "ok"),
        ("<!-- hidden -->shown", "shown"),
        ("Größe – „Zitat“ 東京 \u00a0nbsp", "Größe – „Zitat“ 東京 \u00a0nbsp"),
        ("ctrl\x00\x07chars", "ctrlchars"),
        ("", ""),
        ("   \n\n  ", ""),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_clean_text_plain_mode_keeps_angle_brackets_literal():
    assert clean_text("<b>not a tag</b>", is_html=False) == "<b>not a tag</b>"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Die Bundesregierung hat am Mittwoch beschlossen, die Steuern deutlich zu senken.", "de"),
        ("The government decided on Wednesday to cut taxes for small businesses.", "en"),
        ("Le gouvernement a décidé mercredi de réduire les impôts des petites entreprises.", "fr"),
        ("El gobierno decidió el miércoles reducir los impuestos a las pequeñas empresas.", "es"),
        ("Правительство в среду решило снизить налоги для малого бизнеса.", "ru"),
        ("", "und"),
        ("12345 !!! 2025", "und"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_plausible_published():
    assert plausible_published(None, FETCHED) == FETCHED
    assert plausible_published(datetime(1970, 1, 1, tzinfo=UTC), FETCHED) == FETCHED
    assert plausible_published(FETCHED + timedelta(days=30), FETCHED) == FETCHED
    cest = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 3, 10, 0, tzinfo=cest)
    got = plausible_published(local, FETCHED)
    assert got == datetime(2025, 6, 3, 8, 0, tzinfo=UTC) and got.utcoffset() == timedelta(0)
    assert plausible_published(datetime(2025, 6, 1), FETCHED) == datetime(2025, 6, 1, tzinfo=UTC)


def test_entry_becomes_article():
    entry = ParsedEntry(
        guid="tag:x,1",
        link="https://news.example/a?utm_source=rss",
        title="Merkel &amp; Macron",
        title_type="text/html",
        content="<p>Erster Absatz über die Regierung.</p><p>Zweiter Absatz mit Details.</p>",
        summary="teaser",
        published=datetime(2025, 6, 3, 8, 0, tzinfo=UTC),
    )
    article = to_article(entry, FEED, FETCHED)
    assert article is not None
    assert article.url == "https://news.example/a"
    assert article.id == article_id("https://news.example/a")
    assert article.title == "Merkel & Macron"
    assert article.text == "Erster Absatz über die Regierung.\n\nZweiter Absatz mit Details."
    assert article.lang == "de"
    assert article.source == "Example News"
    assert article.feed == FEED.url
    assert article.fetched == FETCHED


def test_summary_is_used_when_there_is_no_content_and_name_wins_over_title():
    feed = FeedMeta(url=FEED.url, title="Ignored", name="Configured")
    entry = ParsedEntry(link="https://news.example/b", title="T", summary="Only a summary here.")
    article = to_article(entry, feed, FETCHED)
    assert article is not None
    assert (article.text, article.source) == ("Only a summary here.", "Configured")


def test_javascript_link_is_refused_and_guid_keeps_the_entry():
    entry = ParsedEntry(guid="urn:uuid:1", link="javascript:alert(1)", title="Hello")
    article = to_article(entry, FEED, FETCHED)
    assert article is not None
    assert article.url == "https://news.example/"  # the site, never the javascript: link
    assert article.id == article_id(f"guid:{FEED.url}\nurn:uuid:1")


def test_permalink_guid_is_the_url_when_the_link_is_missing():
    entry = ParsedEntry(guid="https://news.example/c#x", title="Hello")
    article = to_article(entry, FEED, FETCHED)
    assert article is not None and article.url == "https://news.example/c"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (ParsedEntry(link="javascript:alert(1)", title="x"), "no http(s) link and no guid"),
        (ParsedEntry(link="data:text/html,x", title="x"), "no http(s) link and no guid"),
        (ParsedEntry(link="https://news.example/d"), "no title and no text"),
        (ParsedEntry(link="https://news.example/d", title="<script>x</script>",
                     title_type="text/html"), "no title and no text"),
    ],
)  # fmt: skip
def test_unusable_entries_say_why(entry, reason):
    assert normalise_entry(entry, FEED, FETCHED) == reason
    assert to_article(entry, FEED, FETCHED) is None


def test_missing_title_is_taken_from_the_text():
    entry = ParsedEntry(link="https://news.example/e", summary="First paragraph.\n\nSecond.")
    article = to_article(entry, FEED, FETCHED)
    assert article is not None and article.title == "First paragraph."
