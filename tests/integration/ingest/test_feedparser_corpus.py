"""feedparser's own test corpus (2,277 documents from its 6.0.14 sdist), served from a
loopback server with each file's ``Header:`` lines and polled through the real
``Ingestor`` path. Nothing may crash it; well-formed feeds must yield articles whose
title/link match the file's ``Expect`` line where those reach our record; every
document ends as articles, an empty feed, or a clear per-feed error.

The sdist is fetched once with ``pip download`` into ``.cache/`` (gitignored)."""

from __future__ import annotations

import ast
import asyncio
import re
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from services.ingest.feeds import FeedConfig
from services.ingest.normalise import canonical_url, clean_text
from services.ingest.parse import parse_feed
from services.ingest.pipeline import Ingestor
from services.ingest.state import IngestState

from .conftest import Published
from .fixtures import expect_line, header_lines, serve_document

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".cache" / "feedparser-sdist"
VERSION = "6.0.14"
# Errors a well-formed feedparser test document may legitimately end in, by policy:
# documents that declare XML entities are refused before parsing.
WELLFORMED_ALLOWED_ERRORS = {"unsafe_xml"}
_KEY = r"""(?:\[['"](\w+)['"]\]|\.(\w+))"""
# entries[0]['title'] / entries[0].link / entries[0]['title_detail']['value'] /
# entries[0]['content'][0]['value'] / entries[0]['summary'] == <string expression>
_FIELD = re.compile(rf"entries\[0\]{_KEY}(?:\[0\])?(?:{_KEY})?\s*==\s*")
_ALIASES = {
    ("title", ""): "title", ("title_detail", "value"): "title",
    ("link", ""): "link",
    ("content", "value"): "content",
    ("summary", ""): "summary", ("description", ""): "summary",
    ("summary_detail", "value"): "summary",
}  # fmt: skip


def corpus() -> Path:
    """The extracted ``tests/`` folder of the feedparser sdist (downloaded once)."""
    target = CACHE / f"feedparser-{VERSION}"
    if (target / "tests").is_dir():
        return target / "tests"
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE.parent / ".gitignore").write_text("*\n")  # belt and braces besides the root one
    archive = CACHE / f"feedparser-{VERSION}.tar.gz"
    if not archive.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               f"feedparser=={VERSION}", "-d", str(CACHE), "-q"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0 or not archive.exists():
            pytest.fail(
                f"cannot download the feedparser sdist (PyPI, once, into {CACHE}): "
                f"{done.stderr.strip()[-300:]}",
                pytrace=False,
            )
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/tests/" in m.name and m.isfile()]
        tar.extractall(CACHE, members=members, filter="data")
    return target / "tests"


def _string(expr: str) -> str | None:
    """The value of a string literal or a ``+`` of string literals, else ``None``."""
    try:
        node = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return None

    def value(n: ast.expr) -> str | None:
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            return n.value
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            left, right = value(n.left), value(n.right)
            return None if left is None or right is None else left + right
        return None

    return value(node)


def expected_fields(expect: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for m in _FIELD.finditer(expect):
        name = _ALIASES.get((m.group(1) or m.group(2), m.group(3) or m.group(4) or ""))
        if name is None:
            continue
        rest = expect[m.end() :]
        cuts = [i for i in range(len(rest)) if rest.startswith(" and ", i)] + [len(rest)]
        for cut in cuts:
            found = _string(rest[:cut])
            if found is not None:
                fields.setdefault(name, found)
                break
    return fields


def title_matches(got: str, expected: str) -> bool:
    return got in {
        clean_text(expected).replace("\n\n", " "),
        clean_text(expected, is_html=False).replace("\n\n", " "),
    }


async def test_feedparser_corpus(server, settings, tmp_path):
    tests = await asyncio.to_thread(corpus)
    files = sorted(p for p in tests.rglob("*") if p.is_file() and p.suffix in {".xml", ".gz", ".z"})
    assert len(files) > 2000
    docs = {}
    raw: dict[str, bytes] = {}
    for path in files:
        rel = path.relative_to(tests.parent).as_posix()
        data = path.read_bytes()
        docs[rel] = (serve_document(server, "/" + rel, data, path.name), expect_line(data) or "")
        raw[rel] = data

    # server, client and parser threads share two cores: allow for a busy event loop
    settings = settings.model_copy(update={"fetch_timeout_s": 15.0})
    client = httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_connections=16))
    gate = asyncio.Semaphore(16)
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    checked = Counter()

    async def poll(rel: str, url: str, expect: str) -> None:
        published = Published()
        async with gate:
            ingestor = Ingestor(settings, published, http=client, state=IngestState(":memory:"))
            result = await ingestor.refresh(FeedConfig(url=url))
        outcomes[f"{rel.split('/')[1]}:{result.status}:{result.kind}"] += 1
        if result.status == "error":
            if not result.reason:
                problems.append(f"{rel}: error without a reason")
            if rel.startswith("tests/wellformed/") and result.kind not in WELLFORMED_ALLOWED_ERRORS:
                problems.append(f"{rel}: {result.reason}")
            return
        fields = expected_fields(expect)
        if fields and rel.startswith("tests/wellformed/"):
            await asyncio.to_thread(check_parsed, rel, raw[rel], url, fields)
        if not fields or not published.articles:
            return
        first = published.articles[0]
        if "title" in fields:
            checked["title"] += 1
            if not title_matches(first.title, fields["title"]) and fields["title"].strip():
                problems.append(f"{rel}: title {first.title!r} != {fields['title']!r}")
        body = fields.get("content", fields.get("summary"))
        if body is not None and ("content" in fields or "content" not in expect):
            checked["text"] += 1
            if first.text != clean_text(body):
                problems.append(f"{rel}: text {first.text!r} != clean_text({body!r})")
        link = fields.get("link", "")
        if link.startswith(("http://", "https://")):
            checked["link"] += 1
            if first.url != canonical_url(link):
                problems.append(f"{rel}: url {first.url!r} != {link!r}")

    def check_parsed(rel: str, data: bytes, url: str, fields: dict[str, str]) -> None:
        """The parse step (``ParsedEntry``) carries what the Expect line names."""
        location = dict((k.lower(), v) for k, v in header_lines(data)).get("content-location")
        base = urljoin(url, location) if location else url
        entries = parse_feed(data, url, final_url=base).entries
        if not entries:
            problems.append(f"{rel}: no entries parsed")
            return
        entry = entries[0]
        got = {"title": entry.title, "link": entry.link, "content": entry.content,
               "summary": entry.summary}  # fmt: skip
        for name, value in fields.items():
            checked[f"parsed_{name}"] += 1
            want = value.replace("http://127.0.0.1:8097", server.url(""))  # their doc URI
            if name == "link":
                same = got[name] == want
            else:  # markup and hrefs never reach the record: compare the text
                same = title_matches(clean_text(got[name]).replace("\n\n", " "), want)
            if not same:
                problems.append(f"{rel}: parsed {name} {got[name]!r} != {want!r}")

    try:
        async with asyncio.timeout(300):  # a hang guard, not a speed target (see make bench)
            await asyncio.gather(*(poll(rel, url, exp) for rel, (url, exp) in docs.items()))
    finally:
        await client.aclose()
    summary = ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items()))
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40]) + f"\n{summary}"
    assert sum(outcomes.values()) == len(docs)
    # Entries with no http(s) link and no guid are not articles (most corpus documents
    # test one element in isolation), so only some Expect lines reach our record.
    assert checked["title"] >= 5 and checked["text"] >= 5, checked
    assert min(checked[f"parsed_{n}"] for n in ("title", "link", "content", "summary")) >= 10
