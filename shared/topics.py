"""Every Kafka topic wirewatch uses, with its partition count and record type."""

from __future__ import annotations

from dataclasses import dataclass

from shared import records


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    record: type[records.Record]
    compacted: bool = False


ARTICLES = TopicSpec("wirewatch.articles", 4, records.Article)
TAGGED = TopicSpec("wirewatch.tagged", 4, records.TaggedArticle)
STORY_UPDATES = TopicSpec("wirewatch.story-updates", 4, records.StoryUpdate)
ALERTS = TopicSpec("wirewatch.alerts", 4, records.Alert)
DEAD_LETTERS = TopicSpec("wirewatch.dead-letters", 1, records.DeadLetter)
# Alerting's own: API-managed subscriptions (compacted; every worker reads all of it),
# alerts waiting for a retry and clock ticks (both co-partitioned with ALERTS).
SUBSCRIPTIONS = TopicSpec("wirewatch.subscriptions", 1, records.SubscriptionChange, True)
ALERTS_RETRY = TopicSpec("wirewatch.alerts-retry", 4, records.RetryEnvelope)
ALERTING_TICKS = TopicSpec("wirewatch.alerting-ticks", 4, records.Tick)

ALL = (
    ARTICLES,
    TAGGED,
    STORY_UPDATES,
    ALERTS,
    DEAD_LETTERS,
    SUBSCRIPTIONS,
    ALERTS_RETRY,
    ALERTING_TICKS,
)
