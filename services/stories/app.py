"""The stories shell: tagged articles in (keyed by language), story updates out (keyed
by story id). The clustering is ``clustering.StoryIndex``; each story's state is kept in
a changelogged table, so a restarted worker rebuilds its index from Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import structlog

from services.stories import metrics
from services.stories.clustering import StoryIndex
from shared import topics
from shared.records import StoryUpdate, TaggedArticle
from shared.settings import Settings
from shared.streaming import dead_letter, decoded, make_app, topic

log = structlog.get_logger(__name__)


def build(settings: Settings) -> faust.App:
    app = make_app("stories", settings, settings.stories_port)
    tagged = topic(app, topics.TAGGED)
    updates = topic(app, topics.STORY_UPDATES)
    dlq = topic(app, topics.DEAD_LETTERS)
    table = app.Table("stories", default=None, partitions=topics.TAGGED.partitions)
    index = StoryIndex(
        threshold=settings.story_threshold,
        dormant_after=timedelta(seconds=settings.story_dormant_after_s),
    )
    restored = {"done": False}
    clocks: dict[str, datetime] = {}  # per language: one partition's stream, one clock

    def stream_time(lang: str, published: datetime) -> datetime:
        """Event time of a language's stream: the latest publication time seen in it,
        never ahead of the wall clock. Dormancy and decay follow the stream, so a replayed
        archive groups like live news, and one language running ahead of another in its
        partition does not age the other's stories."""
        now = max(clocks.get(lang, published), min(published, datetime.now(UTC)))
        clocks[lang] = now
        return now

    def restore() -> None:
        count = 0
        for _, state in table.items():
            if state:
                index.load(state)
                count += 1
        for story in index.stories():
            stream_time(story.lang, story.last_seen)
        if clocks:
            index.expire(min(clocks.values()))
        restored["done"] = True
        log.info("stories_restored", stories=count, live=len(index))

    @app.agent(tagged)
    async def assign(stream: faust.StreamT) -> None:
        async for event, article in decoded(stream, TaggedArticle, dlq):
            if not restored["done"]:
                restore()
            try:
                story, is_new = index.assign(
                    article, stream_time(article.article.lang, article.article.published)
                )
                table[story.id] = index.export(story.id)
            except Exception as exc:
                await dead_letter(dlq, event, f"story assignment failed: {exc!r}")
                continue
            update = StoryUpdate(story=story, article=article, is_new=is_new)
            metrics.observe(update, len(index))
            await updates.send(key=story.id.encode(), value=update.dumps())

    @app.on_rebalance_complete.connect  # type: ignore[arg-type]  # faust's stub wants a sync signature
    async def _rebalanced(sender: Any, **kwargs: Any) -> None:
        restored["done"] = False

    @app.page("/stories")
    async def list_stories(web: Any, request: Any) -> Any:
        stories = sorted(index.stories(), key=lambda s: s.last_seen, reverse=True)
        limit = int(request.query.get("limit", "100"))
        return web.json([s.model_dump(mode="json") for s in stories[: max(1, min(limit, 1000))]])

    @app.page("/stories/{story_id}")
    async def one_story(web: Any, request: Any, story_id: str) -> Any:
        story = index.get(story_id)
        if story is None:
            return web.json({"error": f"no live story {story_id}"}, status=404)
        return web.json(story.model_dump(mode="json"))

    return app
