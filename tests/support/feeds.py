"""Articles as an RSS 2.0 feed, and loopback HTTP servers: an app served on a free port
(`serve`), or any request handed to one handler (`serving`)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from email.utils import format_datetime

from aiohttp import web

from shared.broker import free_port
from shared.records import Article


def rss(articles: list[Article], title: str = "Seeds") -> bytes:
    items = []
    for a in articles:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in a.text.split("\n\n"))
        items.append(
            "<item>"
            f"<title>{html.escape(a.title)}</title>"
            f"<link>{html.escape(a.url)}</link>"
            f'<guid isPermaLink="true">{html.escape(a.url)}</guid>'
            f"<pubDate>{format_datetime(a.published)}</pubDate>"
            f"<dc:creator>{html.escape(a.source)}</dc:creator>"
            f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{html.escape(title)}</title><link>https://seeds.wirewatch.invalid/</link>"
        f"<description>test feed</description>{''.join(items)}</channel></rss>"
    ).encode()


def feed_app(body: bytes, hits: list[str]) -> web.Application:
    async def serve(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.add_routes([web.get("/seeds.rss", serve)])
    return app


async def serve(
    app: web.Application, port: int | None = None, *, shutdown_timeout: float = 60.0
) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on 127.0.0.1 (a free port unless given); the caller cleans up the
    runner. ``shutdown_timeout``: how long cleanup waits for requests still running."""
    port = free_port() if port is None else port
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


@asynccontextmanager
async def serving(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    *,
    shutdown_timeout: float = 60.0,
) -> AsyncIterator[int]:
    """A loopback server that hands every request, any method and path, to ``handler``;
    yields its port and stops it on exit."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner, port = await serve(app, shutdown_timeout=shutdown_timeout)
    try:
        yield port
    finally:
        await runner.cleanup()
