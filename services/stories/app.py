"""The stories shell: tagged articles in (keyed by language), story updates out (keyed
by story id). The clustering is ``clustering.StoryIndex``; each story's state is kept in
a changelogged table, so a restarted worker rebuilds its index from Kafka.

Delivery is at least once, so an article can arrive twice (a replay restarted, a
worker killed before its offsets were committed). A second changelogged table remembers
each article's story and the revision it made; a repeat is not clustered again but
answered with the same revision, so alerting raises nothing new and any alert that was
lost in the crash is re-sent under its original idempotency key.

Story updates are queued with ``send_soon``, behind the table writes of the same article
in Faust's producer buffer, instead of being sent at once. Sent at once, an update could
reach Kafka while the changelog records of the state it came from still waited in the
buffer; a worker killed then restored stories some revisions behind what alerting had
seen, and the next articles' revisions collided with revisions already alerted (the
intermittent loss after kill -9 stories in ``make chaos``, 87 of 900 in one CI run)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import faust
import structlog

from services.stories import metrics
from services.stories.stream import StreamClock, index_from, repeat_update
from shared import topics
from shared.records import StoryUpdate, TaggedArticle
from shared.settings import Settings
from shared.streaming import dead_letter, decoded, make_app, topic

log = structlog.get_logger(__name__)
SWEEP_EVERY = 5000  # assignments between sweeps of dormant stories out of the tables


def build(settings: Settings) -> faust.App:
    app = make_app("stories", settings, settings.stories_port)
    tagged = topic(app, topics.TAGGED)
    updates = topic(app, topics.STORY_UPDATES)
    dlq = topic(app, topics.DEAD_LETTERS)
    table = app.Table("stories", default=None, partitions=topics.TAGGED.partitions)
    # article id -> [story id, revision, language]; swept of dormant stories' articles
    assigned = app.Table("stories-assigned", default=None, partitions=topics.TAGGED.partitions)
    since_sweep = {"n": 0}
    index = index_from(settings)
    restored = {"done": False}
    clock = StreamClock()  # per language: one partition's stream, one clock

    def stream_time(lang: str, published: datetime) -> datetime:
        return clock.at(lang, published, datetime.now(UTC))

    def restore() -> None:
        count = 0
        for _, state in table.items():
            if state:
                index.load(state)
                count += 1
        for story in index.stories():
            stream_time(story.lang, story.last_seen)
        if clock.clocks:
            index.expire(min(clock.clocks.values()))
        restored["done"] = True
        log.info("stories_restored", stories=count, live=len(index))

    def repeat(article: TaggedArticle) -> StoryUpdate | None:
        again = repeat_update(index, assigned.get(article.article.id), article)
        if again is not None:
            metrics.REPEATS.inc()
        return again

    def sweep(lang: str) -> None:
        """Forget dormant stories of ``lang`` (this event's partition) in both tables."""
        for key, value in list(assigned.items()):
            if value and value[2] == lang and value[0] not in index:
                del assigned[key]
        for key, state in list(table.items()):
            if state and state.get("lang") == lang and key not in index:
                del table[key]

    @app.agent(tagged)
    async def assign(stream: faust.StreamT) -> None:
        async for event, article in decoded(stream, TaggedArticle, dlq):
            if not restored["done"]:
                restore()
            lang = article.article.lang
            try:
                again = repeat(article)
                if again is not None:
                    updates.send_soon(key=again.story.id.encode(), value=again.dumps())
                    continue
                story, is_new = index.assign(article, stream_time(lang, article.article.published))
                table[story.id] = index.export(story.id)  # the story first, then the marker
                assigned[article.article.id] = [story.id, story.revision, lang]
                since_sweep["n"] += 1
                if since_sweep["n"] >= SWEEP_EVERY:
                    since_sweep["n"] = 0
                    sweep(lang)
            except Exception as exc:
                await dead_letter(dlq, event, f"story assignment failed: {exc!r}")
                continue
            update = StoryUpdate(story=story, article=article, is_new=is_new)
            metrics.observe(update, len(index))
            # Behind this article's table writes in Faust's producer buffer (FIFO): the
            # update never reaches Kafka before the state it came from (see module doc).
            updates.send_soon(key=story.id.encode(), value=update.dumps())

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
