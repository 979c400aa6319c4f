"""The tagger shell: articles in, tagged articles out (keyed by language, so one stories
worker owns each language's partition). Matching is ``matcher.Matcher``; the watchlist
reloads on change between events."""

from __future__ import annotations

import faust
import structlog

from services.tagger import metrics
from services.tagger.watch import WatchlistReloader
from shared import topics
from shared.records import Article, TaggedArticle
from shared.settings import Settings
from shared.streaming import dead_letter, decoded, make_app, topic

log = structlog.get_logger(__name__)


def tag(article: Article, reloader: WatchlistReloader) -> TaggedArticle:
    return reloader.current().tag(article)


def build(settings: Settings) -> faust.App:
    app = make_app("tagger", settings, settings.tagger_port)
    articles = topic(app, topics.ARTICLES)
    tagged = topic(app, topics.TAGGED)
    dlq = topic(app, topics.DEAD_LETTERS)
    reloader = WatchlistReloader(settings.watchlist_file)
    log.info(
        "watchlist_loaded", version=reloader.current().version, path=str(settings.watchlist_file)
    )

    @app.agent(articles)
    async def tag_articles(stream: faust.StreamT) -> None:
        async for event, article in decoded(stream, Article, dlq):
            try:
                result = tag(article, reloader)
            except Exception as exc:
                await dead_letter(dlq, event, f"tagging failed: {exc!r}")
                continue
            metrics.observe(result)
            await tagged.send(key=article.lang.encode(), value=result.dumps())

    return app
