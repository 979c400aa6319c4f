"""Loopback feed servers (aiohttp on 127.0.0.1, random port) for the ingest tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from services.ingest.pipeline import Ingestor
from shared.records import Article
from shared.settings import Settings
from tests.support.feeds import serving
from tests.support.shared_data import SHARED_DATA

BAD_INPUTS = SHARED_DATA / "bad-inputs"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FeedServer:
    """Routes are added by the test; every request is counted by path."""

    routes: dict[str, Handler] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[web.Request] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def static(
        self,
        path: str,
        body: bytes | str,
        *,
        etag: str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/rss+xml",
    ) -> str:
        data = body.encode() if isinstance(body, str) else body

        async def handler(request: web.Request) -> web.Response:
            if etag is not None and request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            extra = dict(headers or {})
            if etag is not None:
                extra["ETag"] = etag
            extra.setdefault("Content-Type", content_type)
            return web.Response(body=data, headers=extra)

        return self.add(path, handler)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.requests.append(request)
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="no such feed")
        return await handler(request)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    async with serving(srv.dispatch, shutdown_timeout=0.1) as srv.port:
        yield srv


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        feeds_file=tmp_path / "feeds.yaml",
        allow_hosts=["127.0.0.1"],
        fetch_timeout_s=2.0,
        fetch_connect_timeout_s=1.0,
        fetch_max_bytes=512 * 1024,
        backoff_base_s=60.0,
    )


@dataclass
class Published:
    articles: list[Article] = field(default_factory=list)

    async def __call__(self, article: Article) -> None:
        self.articles.append(article)


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
async def ingestor(settings: Settings, published: Published) -> AsyncIterator[Ingestor]:
    ing = Ingestor(settings, published)
    try:
        yield ing
    finally:
        await ing.aclose()
