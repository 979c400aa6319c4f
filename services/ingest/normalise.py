"""ParsedEntry → ``Article``: canonical URL, stable id, clean text, date, language.

Pure functions. Text is what the tagger reads and reports character offsets into, so
``clean_text`` only removes markup and collapses ASCII whitespace: every other
character of the body reaches the article unchanged. Paragraphs (HTML blocks, double
``<br>``, blank lines in plain text) are separated by exactly one blank line.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import nh3
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from services.ingest.parse import FeedMeta, ParsedEntry
from shared.records import Article

__all__ = [
    "LANGUAGES",
    "article_id",
    "canonical_url",
    "clean_text",
    "detect_language",
    "normalise_entry",
    "plausible_published",
    "to_article",
]

# Query parameters that only track the click, never select the content.
_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "at_")
_TRACKING = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "oly_anon_id", "oly_enc_id", "vero_id", "wt_mc", "wt.mc_id", "cmpid", "ocid",
        "ncid", "sr_share", "xtor", "ito", "at_medium", "at_campaign", "ref_src",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Languages worth telling apart for European/world news (py3langid knows 97).
LANGUAGES = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he",
    "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nl", "no", "pl", "pt", "ro",
    "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh",
)  # fmt: skip
_MIN_CONFIDENCE = 0.5
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)

_ASCII_WS = re.compile(r"[ \t\n\r\f\v]+")
_PARAGRAPH_BREAK = re.compile(r"[ \t\r\f\v]*\n[ \t\r\f\v]*\n[ \t\n\r\f\v]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_INLINE = frozenset(
    {
        "br", "a", "b", "strong", "i", "em", "u", "span", "small", "sub", "sup", "code",
        "q", "cite", "abbr", "time", "mark", "s", "del", "ins",
    }
)  # fmt: skip
_KEEP_TAGS = _BLOCKS | _INLINE
# Elements whose content is code or an embedded document, never article text.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "applet", "svg", "math", "template",
     "noembed", "noframes", "frameset", "select", "textarea", "button"}
)  # fmt: skip


def canonical_url(url: str, base: str | None = None) -> str:
    """The canonical form of an http(s) URL; ``ValueError`` for anything else.

    Lower-case scheme and host, default port dropped, empty path → ``/``, fragment and
    tracking parameters (utm_*, fbclid, gclid, …) removed, relative URLs resolved
    against ``base``. The order of the remaining query parameters is kept.
    """
    raw = url.strip()
    if base:
        raw = urljoin(base.strip(), raw)
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url[:80]!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"URL without host: {url[:80]!r}")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port  # ValueError for a bad port
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username or parts.password:
        raise ValueError("credentials in a link are not accepted")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, safe="/:@!$'()*,;"), ""))


def article_id(canonical: str) -> str:
    """Stable id of an article: ``a_`` + 24 hex digits of SHA-256 of its key."""
    return "a_" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


class _TextExtractor(HTMLParser):
    """Text of sanitised HTML; block elements become paragraph breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _paragraphs(text: str) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = (_ASCII_WS.sub(" ", p).strip(" ") for p in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def clean_text(html_or_text: str, *, is_html: bool = True) -> str:
    """Readable text: nh3-sanitised, tags stripped (script/style with their content),
    entities unescaped, ASCII whitespace collapsed, paragraphs joined by ``"\\n\\n"``."""
    if not html_or_text:
        return ""
    if not is_html or ("<" not in html_or_text and "&" not in html_or_text):
        return _paragraphs(html_or_text)
    safe = nh3.clean(
        html_or_text,
        tags=set(_KEEP_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={},
        strip_comments=True,
        link_rel=None,
        url_schemes={"http", "https"},
    )
    extractor = _TextExtractor()
    extractor.feed(safe)
    extractor.close()
    return _paragraphs("".join(extractor.parts))


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` among ``LANGUAGES``, or ``"und"`` when unsure."""
    sample = text[:4000]
    if sum(ch.isalpha() for ch in sample) < 3:
        return "und"
    lang, prob = _identifier().classify(sample)
    return str(lang) if prob >= _MIN_CONFIDENCE else "und"


def plausible_published(when: datetime | None, fetched: datetime) -> datetime:
    """``when`` in UTC, or ``fetched`` when missing, before 1995 or more than a day ahead."""
    if when is None:
        return fetched
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when < _EARLIEST or when > fetched + _FUTURE_SLACK:
        return fetched
    return when


def _http_url(raw: str, base: str) -> str | None:
    if not raw:
        return None
    try:
        return canonical_url(raw, base)
    except ValueError:
        return None


def _headline(text: str, limit: int = 120) -> str:
    first = text.split("\n\n", 1)[0]
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _source(feed: FeedMeta) -> str:
    if feed.name:
        return feed.name
    title = clean_text(feed.title).replace("\n\n", " ")
    return title or urlsplit(feed.url).hostname or feed.url


def _is_html(mime: str) -> bool:
    return "html" in mime or "xml" in mime


def normalise_entry(entry: ParsedEntry, feed: FeedMeta, fetched: datetime) -> Article | str:
    """The article, or the reason the entry is unusable."""
    base = feed.url
    link = _http_url(entry.link, base)
    guid_url = _http_url(entry.guid, base) if entry.guid.lower().startswith("http") else None
    link = link or guid_url
    if not link and not entry.guid:
        return "no http(s) link and no guid"
    title = clean_text(entry.title, is_html=_is_html(entry.title_type)).replace("\n\n", " ")
    body, body_type = (
        (entry.content, entry.content_type) if entry.content.strip()
        else (entry.summary, entry.summary_type)
    )  # fmt: skip
    text = clean_text(body, is_html=_is_html(body_type))
    if not title and not text:
        return "no title and no text"
    title = title or _headline(text)
    key = link or f"guid:{feed.url}\n{entry.guid}"
    lang = detect_language(f"{title}\n\n{text}")
    if lang == "und" and (entry.language or feed.language):
        declared = (entry.language or feed.language).split("-")[0].strip().lower()
        lang = declared if declared in LANGUAGES else "und"
    return Article(
        id=article_id(key),
        url=link or _http_url(feed.link, base) or feed.url,
        title=title,
        text=text,
        lang=lang,
        published=plausible_published(entry.published or entry.updated, fetched),
        fetched=fetched,
        source=_source(feed),
        feed=feed.url,
    )


def to_article(entry: ParsedEntry, feed: FeedMeta, fetched: datetime) -> Article | None:
    """The article, or ``None`` when the entry is unusable (see ``normalise_entry``)."""
    result = normalise_entry(entry, feed, fetched)
    return result if isinstance(result, Article) else None
