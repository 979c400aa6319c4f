"""Every metric the stories service exports."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from shared.records import StoryUpdate

CREATED = Counter("wirewatch_stories_created_total", "New stories, by language.", ["lang"])
UPDATES = Counter(
    "wirewatch_story_updates_total", "Articles assigned to stories, by language.", ["lang"]
)
REPEATS = Counter(
    "wirewatch_story_repeats_total",
    "Articles that arrived again (at-least-once redelivery) and were not clustered twice.",
)
LIVE = Gauge("wirewatch_stories_live", "Stories held in memory (not yet dormant).")
SIZE = Histogram(
    "wirewatch_story_size_articles",
    "Story size in articles after each update.",
    buckets=(1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144),
)


def observe(update: StoryUpdate, live: int) -> None:
    lang = update.story.lang
    UPDATES.labels(lang=lang).inc()
    if update.is_new:
        CREATED.labels(lang=lang).inc()
    SIZE.observe(update.story.article_count)
    LIVE.set(live)
