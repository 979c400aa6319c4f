"""Serving feedparser-style test documents: ``Header: Name: value`` lines in the leading
comment become response headers (``Status`` the status code), ``.gz``/``.z`` files are
sent with ``Content-Encoding: gzip``/``deflate`` as feedparser's own test server did."""

from __future__ import annotations

import re

from aiohttp import web

from .conftest import FeedServer

_HEADER = re.compile(rb"^\s*Header:\s*([A-Za-z0-9-]+):\s*(.*?)\s*$", re.MULTILINE)
_EXPECT = re.compile(rb"^\s*Expect:\s*(.*?)\s*$", re.MULTILINE)
_ORIGIN = re.compile(r"https?://(?:localhost|127\.0\.0\.1):8097")


def header_lines(data: bytes) -> list[tuple[str, str]]:
    head = data[:4096]
    return [(k.decode(), v.decode("latin-1")) for k, v in _HEADER.findall(head)]


def expect_line(data: bytes) -> str | None:
    m = _EXPECT.search(data[:4096])
    return m.group(1).decode("utf-8", "replace") if m else None


def serve_document(server: FeedServer, path: str, data: bytes, name: str) -> str:
    """Serve ``data`` at ``path`` the way feedparser's test server did."""
    headers: dict[str, str] = {}
    status = 200
    base = server.url("")
    for key, value in header_lines(data):
        if key.lower() == "status":
            status = int(value)
        else:
            headers[key] = _ORIGIN.sub(base, value)
    if name.endswith(".gz"):
        headers["Content-Encoding"] = "gzip"
    elif name.endswith(".z"):
        headers["Content-Encoding"] = "deflate"
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/xml"
    etag = headers.get("ETag")

    async def handler(request: web.Request) -> web.Response:
        if etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(status=status, body=data, headers=headers)

    return server.add(path, handler)
