"""``python -m services.ingest check`` and ``import-opml``/``export-opml`` against real
loopback servers: real feed captures and hostile inputs from ../shared/data (read at
test time, never committed), unsafe URLs, real OPML exports (tests/data/opml) and a
billion-laughs OPML. The commands run as processes, as a user types them."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from services.ingest import cli
from services.ingest.feeds import load_feeds, parse_feeds
from shared.settings import ROOT, Settings
from tests.support.feeds import serving

SHARED_DATA = ROOT.parent / "shared" / "data"
REAL_FEEDS = SHARED_DATA / "real-news" / "feeds"
BAD_INPUTS = SHARED_DATA / "bad-inputs"
OPML = ROOT / "tests" / "data" / "opml"
OK_LINE = re.compile(r"^ok (\S+): (\d+) articles?(?: \((\d+) skipped: (.+)\))?$")
ERROR_LINE = re.compile(r"^error (\S+): ([a-z_]+): (.+)$")


def require(path: Path) -> Path:
    """``path``, or fail with one line: these tests read the shared data beside the repo."""
    if not path.exists():
        pytest.fail(f"{path} is missing: the shared data set must lie beside the repository "
                    f"({SHARED_DATA})", pytrace=False)  # fmt: skip
    return path


class Server:
    """A loopback HTTP server; routes are added by the test, requests counted by path."""

    def __init__(self) -> None:
        self.routes: dict[str, web.Response] = {}
        self.hits: Counter[str] = Counter()
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes, **headers: str) -> str:
        self.routes[path] = web.Response(body=body, headers=headers or None)
        return self.url(path)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        if request.path == "/to-metadata":
            raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")
        answer = self.routes.get(request.path)
        if answer is None:
            return web.Response(status=404, text="no such feed")
        return web.Response(body=answer.body, headers=answer.headers)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    async with serving(srv.dispatch, shutdown_timeout=0.1) as srv.port:
        yield srv


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    out |= {
        "WIREWATCH_ALLOW_HOSTS": '["127.0.0.1"]',
        "WIREWATCH_DATA_DIR": str(tmp_path / "var"),
        "WIREWATCH_FEEDS_FILE": str(tmp_path / "feeds.yaml"),
        "WIREWATCH_FETCH_TIMEOUT_S": "5",
    }
    return out | extra


async def ingest(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m services.ingest ARGS`` (in a thread: the test's server keeps serving)."""
    import asyncio  # noqa: PLC0415

    argv = [sys.executable, "-m", "services.ingest", *args]
    return await asyncio.to_thread(
        subprocess.run, argv, env=env(tmp_path, **extra), capture_output=True, text=True,
        timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream
        assert "Unclosed" not in stream, stream


# --- check ---------------------------------------------------------------------------------


async def test_check_on_every_real_capture(server: Server, tmp_path: Path) -> None:
    listed = require(REAL_FEEDS / "MANIFEST.jsonl").read_text().splitlines()
    manifest = [json.loads(line) for line in listed if line]
    urls = {server.add(f"/{m['file']}", (REAL_FEEDS / m["file"]).read_bytes(),
                       **{"Content-Type": "application/xml"}): m for m in manifest}  # fmt: skip
    done = await ingest(tmp_path, "check", "--json", *urls)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == len(urls), lines
    per_feed = Counter()
    for line in done.stdout.splitlines():
        article = json.loads(line)
        assert set(article) == {"feed", "id", "url", "title", "published", "lang", "source",
                                "text_length", "text_start"}  # fmt: skip
        assert article["id"].startswith("a_") and article["url"].startswith(("http://", "https://"))
        assert article["title"] and len(article["text_start"]) <= 160
        per_feed[article["feed"]] += 1
    for line, url in zip(lines, urls, strict=True):
        m = OK_LINE.match(line)
        assert m and m.group(1) == url, line
        assert int(m.group(2)) == per_feed[url] > 0, line
        skipped = int(m.group(3) or 0)
        assert per_feed[url] + skipped <= urls[url]["n_items"], line
    assert not (tmp_path / "var").exists(), "check writes no state"


async def test_check_on_hostile_inputs_gives_one_line_each(server: Server, tmp_path: Path) -> None:
    bad = require(BAD_INPUTS)
    expected = {
        "xml-entities/defusedxml_xmlbomb.xml": "unsafe_xml",
        "xml-entities/defusedxml_xmlbomb2.xml": "unsafe_xml",
        "xml-entities/defusedxml_cyclic.xml": "unsafe_xml",
        "xml-entities/defusedxml_external.xml": "unsafe_xml",
        "xml-entities/defusedxml_external_file.xml": "unsafe_xml",
        "compression/csaf-walker_bomb.gz": "too_large",
    }
    urls = {}
    for name, kind in expected.items():
        headers = {"Content-Encoding": "gzip"} if name.endswith(".gz") else {}
        urls[server.add(f"/{name}", require(bad / name).read_bytes(), **headers)] = kind
    urls[server.add("/not-a-feed", b"<html><body>Hello</body></html>")] = "not_a_feed"
    urls[server.url("/missing.xml")] = "http_error"
    urls[server.url("/to-metadata")] = "unsafe_url"
    done = await ingest(tmp_path, "check", *urls, WIREWATCH_FETCH_MAX_BYTES=str(2 * 1024 * 1024))
    no_traceback(done)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == len(urls), lines
    for line, (url, kind) in zip(lines, urls.items(), strict=True):
        m = ERROR_LINE.match(line)
        assert m and (m.group(1), m.group(2)) == (url, kind), line
    assert server.hits["/to-metadata"] == 1


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://10.0.0.1/feed", "a private address"),
        ("http://[::1]:9/feed", "a loopback address"),
        ("http://127.0.0.1:9/feed", "a loopback address"),
        ("ftp://example.org/feed.xml", "scheme 'ftp' is not http or https"),
        ("http://user:pw@example.org/feed", "credentials in the URL are not allowed"),
    ],
)
async def test_check_refuses_unsafe_urls_without_connecting(
    url: str, rule: str, tmp_path: Path
) -> None:
    lines: list[str] = []
    settings = Settings(data_dir=tmp_path / "var", allow_hosts=[], fetch_timeout_s=5)
    results = await cli.checking.check_feeds(
        settings, [url], on_feed=lambda r: lines.append(r.line)
    )
    assert [r.ok for r in results] == [False]
    m = ERROR_LINE.match(lines[0])
    assert m and m.group(2) == "unsafe_url" and rule in m.group(3), lines


async def test_check_exit_codes_and_readable_lines(server: Server, tmp_path: Path) -> None:
    capture = require(REAL_FEEDS / "jeffthomasweb__npr__aa47ba87dd.xml")
    good = server.add("/npr.xml", capture.read_bytes())
    done = await ingest(tmp_path, "check", good)
    no_traceback(done)
    assert done.returncode == 0
    assert re.fullmatch(r"ok \S+: \d+ articles?\n", done.stderr), done.stderr
    first = done.stdout.splitlines()[0]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d  en   NPR", first), first
    usage = await ingest(tmp_path, "check")
    assert usage.returncode == 2 and "the following arguments are required: URL" in usage.stderr


# --- import-opml / export-opml -----------------------------------------------------------

BILLION_LAUGHS_OPML = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><head><title>&lol9;</title></head>
<body><outline text="&lol9;" xmlUrl="https://example.org/feed"/></body></opml>
"""

FEEDS_FILE = """# Our feeds. Keep German public broadcasters first.
feeds:
  - url: https://www.tagesschau.de/xml/rss2/
    name: tagesschau        # the article source
    interval: 600
  # Daring Fireball is also in the OPML below
  - http://daringfireball.net/index.xml
"""


async def test_import_a_real_readers_opml_from_a_url(server: Server, tmp_path: Path) -> None:
    url = server.add("/subs.opml", (OPML / "newsblur-netnewswire-export.opml").read_bytes())
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(FEEDS_FILE)
    done = await ingest(tmp_path, "import-opml", url, "--feeds", str(feeds_file))
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    summary = done.stdout.splitlines()[-1]
    assert summary == (f"{url}: 54 feeds, 53 added to {feeds_file}, "
                       "1 skipped (1 already in the feeds file)")  # fmt: skip
    assert "added http://feeds.feedburner.com/failblog  [Blogs/The Bloglets]" in done.stdout
    text = feeds_file.read_text()
    assert text.startswith(FEEDS_FILE), "comments and entries kept as they were"
    feeds = load_feeds(feeds_file)
    assert len(feeds) == 2 + 53
    assert feeds[:2] == parse_feeds(FEEDS_FILE)
    assert feeds[2].url == "http://www.brownstoner.com/index.xml"
    assert feeds[2].category == "New York" and feeds[2].name == "Brownstoner"
    again = await ingest(tmp_path, "import-opml", url, "--feeds", str(feeds_file))
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == (
        f"{url}: 54 feeds, 0 added to {feeds_file}, 54 skipped (54 already in the feeds file)"
    )
    assert feeds_file.read_text() == text

    exported = await ingest(tmp_path, "export-opml", "--feeds", str(feeds_file))
    assert exported.returncode == 0
    assert exported.stdout.startswith(
        "<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">"
    )
    round_trip = tmp_path / "round.yaml"
    opml_file = tmp_path / "out.opml"
    opml_file.write_text(exported.stdout)
    back = await ingest(tmp_path, "import-opml", str(opml_file), "--feeds", str(round_trip))
    assert back.returncode == 0, back.stderr
    # the same feeds and folders (an OPML folder holds its feeds together)
    pairs = sorted((f.url, f.category or "") for f in load_feeds(round_trip))
    assert pairs == sorted((f.url, f.category or "") for f in feeds)


async def test_a_billion_laughs_opml_is_refused_and_the_file_untouched(
    server: Server, tmp_path: Path
) -> None:
    bomb = BILLION_LAUGHS_OPML
    url = server.add("/lol.opml", bomb)
    gz = server.add("/lol.opml.gz", gzip.compress(bomb), **{"Content-Encoding": "gzip"})
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(FEEDS_FILE)
    for source in (url, gz):
        done = await ingest(tmp_path, "import-opml", source, "--feeds", str(feeds_file))
        no_traceback(done)
        assert done.returncode == 1
        m = ERROR_LINE.match(done.stderr.strip())
        assert m and m.group(2) == "unsafe_xml", done.stderr
    assert feeds_file.read_text() == FEEDS_FILE


async def test_import_refuses_unsafe_urls_and_never_lets_listparser_fetch(
    server: Server, tmp_path: Path
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    metadata = await ingest(tmp_path, "import-opml", "http://169.254.169.254/latest/opml",
                            "--feeds", str(feeds_file))  # fmt: skip
    no_traceback(metadata)
    assert metadata.returncode == 1 and ": unsafe_url: " in metadata.stderr
    # a document whose text is a URL: listparser would fetch a str like this itself
    trap = server.url("/trap")
    lure = tmp_path / "lure.opml"
    lure.write_text(trap)
    done = await ingest(tmp_path, "import-opml", str(lure), "--feeds", str(feeds_file))
    assert done.returncode == 1 and ": not_opml: " in done.stderr
    assert server.hits["/trap"] == 0
    assert not feeds_file.exists()


async def test_check_on_every_hostile_input_one_line_each_and_no_traceback(
    server: Server, tmp_path: Path
) -> None:
    listed = require(BAD_INPUTS / "MANIFEST.jsonl").read_text().splitlines()
    names = [json.loads(line)["path"] for line in listed if line]
    urls = []
    for i, name in enumerate(names):
        headers = {}
        if name.endswith(".gz"):
            headers["Content-Encoding"] = "gzip"
        elif name.endswith(".z"):
            headers["Content-Encoding"] = "deflate"
        urls.append(server.add(f"/{i}/{name}", (BAD_INPUTS / name).read_bytes(), **headers))
    done = await ingest(tmp_path, "check", "--json", *urls,
                        WIREWATCH_FETCH_MAX_BYTES=str(2 * 1024 * 1024))  # fmt: skip
    no_traceback(done)
    assert done.returncode == 1  # some are refused, by design
    lines = done.stderr.splitlines()
    assert len(lines) == len(urls), "\n".join(lines)
    for line, url in zip(lines, urls, strict=True):
        m = OK_LINE.match(line) or ERROR_LINE.match(line)
        assert m and m.group(1) == url, line
    for article in map(json.loads, done.stdout.splitlines()):
        assert article["url"].startswith(("http://", "https://"))
        assert "<script" not in article["title"].lower() + article["text_start"].lower()
