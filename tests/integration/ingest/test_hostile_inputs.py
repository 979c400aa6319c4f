"""Every hostile input from ../shared/data/bad-inputs, plus generated ones (a 1 GB body,
a 1 byte/s trickle, redirect loops, redirects to private addresses), served from a
loopback server: each ends as a clear per-feed error or a safe article."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from services.ingest.feeds import FeedConfig
from services.ingest.pipeline import Ingestor
from services.ingest.state import IngestState, default_path
from tests.support.shared_data import require
from tests.support.waiting import wait_for

from .conftest import BAD_INPUTS
from .fixtures import serve_document


@pytest.fixture(autouse=True)
def _bad_inputs_present() -> None:
    """Every test here reads ../shared/data/bad-inputs: without it they fail, one line each."""
    require(BAD_INPUTS)


MANIFEST = (
    [json.loads(line) for line in (BAD_INPUTS / "MANIFEST.jsonl").read_text().splitlines() if line]
    if BAD_INPUTS.is_dir()
    else [{"path": "MANIFEST.jsonl"}]  # one entry, failed by the fixture above, not an empty set
)
ACTIVE = ("<script", "javascript:", "onload=", "onerror=", "<iframe", "<object", "<embed",
          "<applet", "<meta", "<style", "alert(")  # fmt: skip

# What a safe ingester does with each file (by path): the error kind, or None = no error.
EXPECTED_ERROR = {
    "compression/csaf-walker_bomb.gz": "too_large",
    "http-fixtures/http_status_404.xml": "http_error",
    "xml-entities/defusedxml_cyclic.xml": "unsafe_xml",
    "xml-entities/defusedxml_external.xml": "unsafe_xml",
    "xml-entities/defusedxml_external_file.xml": "unsafe_xml",
    "xml-entities/defusedxml_xmlbomb.xml": "unsafe_xml",
    "xml-entities/defusedxml_xmlbomb2.xml": "unsafe_xml",
    "feedparser-derived/wellformed_rdf_doctype_contains_entity_decl.xml": "unsafe_xml",
    "feedparser-derived/wellformed_rss_entity_in_doctype.xml": "unsafe_xml",
}
NOT_A_FEED_OK = ("xml-entities/", "feedparser-derived/illformed_", "encoding/")


def _safe(article) -> None:
    for value in (article.title, article.text):
        lowered = value.lower()
        assert not [a for a in ACTIVE if a in lowered], (article.id, value[:200])
    assert article.url.startswith(("http://", "https://"))


@pytest.fixture
def recorded(settings) -> tuple[httpx.AsyncClient, list[httpx.URL]]:
    sent: list[httpx.URL] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.url)

    client = httpx.AsyncClient(trust_env=False, event_hooks={"request": [record]})
    return client, sent


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["path"] for e in MANIFEST])
async def test_bad_input_file(entry, server, settings, published):
    path = BAD_INPUTS / entry["path"]
    data = await asyncio.to_thread(path.read_bytes)
    url = serve_document(server, "/" + entry["path"], data, path.name)
    target = BAD_INPUTS / "http-fixtures/target.xml"  # where the redirect fixtures point
    serve_document(server, "/tests/http/target.xml", target.read_bytes(), target.name)
    async with Ingestor(settings, published) as ingestor:
        started = time.perf_counter()
        result = await ingestor.refresh(FeedConfig(url=url))
        elapsed = time.perf_counter() - started
    assert elapsed < settings.fetch_timeout_s + 1
    expected = EXPECTED_ERROR.get(entry["path"])
    if expected:
        assert (result.status, result.kind) == ("error", expected), result
    elif result.status == "error":
        assert result.kind == "not_a_feed" and entry["path"].startswith(NOT_A_FEED_OK), result
    assert result.status != "error" or result.reason
    for article in published.articles:
        _safe(article)
    if entry["path"].startswith("html-injection/"):
        assert result.status == "ok"


async def test_gzip_bomb_stops_at_the_decoded_cap(server, settings, published):
    bomb = await asyncio.to_thread((BAD_INPUTS / "compression/csaf-walker_bomb.gz").read_bytes)
    url = server.static("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    settings = settings.model_copy(update={"fetch_max_bytes": 2 << 20})  # the wire size fits
    async with Ingestor(settings, published) as ingestor:
        result = await ingestor.refresh(FeedConfig(url=url))
    assert result.kind == "too_large" and "after decoding" in result.reason


async def test_html_injection_articles_keep_their_text(server, settings, published):
    data = BAD_INPUTS / "html-injection/feedparser_large_atom_feed_that_needs_css_sanitisation.xml"
    url = server.static("/big.xml", await asyncio.to_thread(data.read_bytes))
    async with Ingestor(settings, published) as ingestor:
        result = await ingestor.refresh(FeedConfig(url=url))
    assert result.new == 15, result
    assert "Невидимая броня для Вашего Nokia 5800" in {a.title for a in published.articles}
    assert all(a.text for a in published.articles)


# Generated hostile servers ----------------------------------------------------------


async def endless(request: web.Request) -> web.StreamResponse:
    """A 1 GB body, streamed in 64 KiB chunks (stops when the client hangs up)."""
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    chunk = b"<rss>" + b"x" * 65531
    try:
        for _ in range((1 << 30) // len(chunk)):
            await resp.write(chunk)
    except (ConnectionError, asyncio.CancelledError):
        pass
    return resp


async def trickle(request: web.Request) -> web.StreamResponse:
    """One byte per second, forever."""
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    try:
        for byte in b"<rss version='2.0'><channel>" * 100:
            await resp.write(bytes([byte]))
            await asyncio.sleep(1)
    except (ConnectionError, asyncio.CancelledError):
        pass
    return resp


def redirect(location: str, status: int = 302):
    async def handler(_: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    return handler


async def test_a_1gb_body_stops_at_the_cap(server, settings, published):
    url = server.add("/endless", endless)
    async with Ingestor(settings, published) as ingestor:
        started = time.perf_counter()
        result = await ingestor.refresh(FeedConfig(url=url))
    assert result.kind == "too_large" and "on the wire" in result.reason
    assert time.perf_counter() - started < 2


async def test_a_trickling_server_hits_the_total_timeout(server, settings, published):
    settings = settings.model_copy(update={"fetch_timeout_s": 1.0})
    url = server.add("/trickle", trickle)
    async with Ingestor(settings, published) as ingestor:
        started = time.perf_counter()
        result = await ingestor.refresh(FeedConfig(url=url))
    elapsed = time.perf_counter() - started
    assert result.kind == "timeout", result
    assert 0.9 < elapsed < 2.0


async def test_redirect_loop(server, settings, published):
    server.add("/loop-a", redirect("/loop-b"))
    url = server.add("/loop-b", redirect(server.url("/loop-a"), 301))
    async with Ingestor(settings, published) as ingestor:
        result = await ingestor.refresh(FeedConfig(url=url))
    assert result.kind == "redirects"
    assert server.hits["/loop-a"] + server.hits["/loop-b"] == settings.fetch_max_redirects + 1


async def test_redirect_without_location(server, settings, published):
    async def no_location(_: web.Request) -> web.Response:
        return web.Response(status=302)

    url = server.add("/nowhere", no_location)
    async with Ingestor(settings, published) as ingestor:
        result = await ingestor.refresh(FeedConfig(url=url))
    assert result.kind == "http_error" and "without Location" in result.reason


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/feed.xml",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed.xml",
        "http://192.168.1.1:8080/",
        "http://100.64.0.1/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "http://user:pw@127.0.0.1/",
    ],
)
async def test_redirect_to_a_private_address_is_refused_before_connecting(
    target, server, settings, published, recorded
):
    client, sent = recorded
    url = server.add("/evil", redirect(target))
    async with Ingestor(settings, published, http=client) as ingestor:
        result = await ingestor.refresh(FeedConfig(url=url))
    await client.aclose()
    assert result.kind == "unsafe_url", result
    assert [u.host for u in sent] == ["127.0.0.1"]  # only the first hop was requested


async def test_a_private_feed_url_is_refused_without_any_request(settings, published, recorded):
    client, sent = recorded
    settings = settings.model_copy(update={"allow_hosts": []})
    async with Ingestor(settings, published, http=client) as ingestor:
        result = await ingestor.refresh(FeedConfig(url="http://127.0.0.1:9/feed.xml"))
    await client.aclose()
    assert result.kind == "unsafe_url" and "loopback" in result.reason
    assert sent == []


async def test_mislabelled_encodings_decode_without_crashing(server, settings, published):
    latin1 = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Grüße aus Köln</title><link>http://127.0.0.1/x</link></item>"
        "</channel></rss>"
    ).encode("latin-1")
    lying = server.static("/lying", latin1, headers={"Content-Type": "text/xml; charset=utf-8"})
    invalid = server.static(
        "/invalid",
        b"<rss version='2.0'><channel><item><title>\xff\xfe\x80"
        b"</title><link>http://127.0.0.1/y</link></item></channel></rss>",
    )
    async with Ingestor(settings, published) as ingestor:
        for url in (lying, invalid):
            result = await ingestor.refresh(FeedConfig(url=url))
            assert result.status in ("ok", "error") and (result.status == "ok" or result.reason)
    assert published.articles, "at least the latin-1 feed yields an article"
    for article in published.articles:
        _safe(article)


async def test_javascript_and_data_links_never_become_article_urls(server, settings, published):
    doc = """<rss version="2.0"><channel><title>t</title>
    <item><title>js</title><link>javascript:alert(1)</link></item>
    <item><title>data</title><link>data:text/html;base64,PHNjcmlwdD4=</link></item>
    <item><title>guid</title><link>javascript:alert(2)</link><guid>g-1</guid></item>
    </channel></rss>"""
    url = server.static("/js", doc)
    async with Ingestor(settings, published) as ingestor:
        result = await ingestor.refresh(FeedConfig(url=url))
    assert (result.new, result.skipped) == (1, 2)
    assert [a.title for a in published.articles] == ["guid"]
    _safe(published.articles[0])


async def test_the_poller_keeps_polling_its_other_feeds(server, settings, published):
    """All hostile feeds and one good feed in one feeds file, polled by ``run``."""
    settings = settings.model_copy(update={"fetch_timeout_s": 1.0, "fetch_per_host": 16})
    hostile = [
        server.add("/endless", endless),
        server.add("/trickle", trickle),
        server.add("/loop", redirect("/loop")),
        server.add("/evil", redirect("http://10.0.0.1/")),
        server.static(
            "/bomb",
            (BAD_INPUTS / "compression/csaf-walker_bomb.gz").read_bytes(),
            headers={"Content-Encoding": "gzip"},
        ),
        server.static("/laughs", (BAD_INPUTS / "xml-entities/defusedxml_xmlbomb.xml").read_bytes()),
        server.static("/garbage", b"\x00\x01\x02 not a feed"),
    ]
    good = server.static(
        "/good",
        "<rss version='2.0'><channel><title>Good</title><item><title>Still here</title>"
        "<link>http://127.0.0.1/good/1</link><description>Fine.</description></item>"
        "</channel></rss>",
    )
    settings.feeds_file.write_text("feeds:\n" + "".join(f"  - {u}\n" for u in [*hostile, good]))
    ingestor = Ingestor(settings, published)
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run(stop))
    state = IngestState(default_path(settings.data_dir))

    def all_polled() -> bool:
        rows = [state.feed(u) for u in hostile]
        return bool(published.articles) and all(r is not None and r.last_error for r in rows)

    try:
        await wait_for(all_polled, 10, "every hostile feed polled", every=0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert [a.title for a in published.articles] == ["Still here"]
    kinds = [state.feed(u).last_error.split(":", 1)[0] for u in hostile]
    assert kinds == ["too_large", "timeout", "redirects", "unsafe_url", "too_large",
                     "unsafe_xml", "not_a_feed"]  # fmt: skip


def test_bad_inputs_folder_is_beside_the_repo():
    beside = Path(__file__).resolve().parents[3].parent / "shared/data/bad-inputs"
    assert beside == BAD_INPUTS
