"""Every metric the tagger exports."""

from __future__ import annotations

from prometheus_client import Counter

from shared.records import TaggedArticle

ARTICLES = Counter("wirewatch_tagger_articles_total", "Articles tagged, by language.", ["lang"])
MENTIONS = Counter("wirewatch_mentions_total", "Mentions of watched entities found.", ["entity"])
TAGGED = Counter(
    "wirewatch_tagged_articles_total",
    "Articles mentioning a watched entity, per entity.",
    ["entity"],
)


def observe(result: TaggedArticle) -> None:
    ARTICLES.labels(lang=result.article.lang).inc()
    for mention in result.mentions:
        MENTIONS.labels(entity=mention.entity).inc()
    for entity in result.entities:
        TAGGED.labels(entity=entity).inc()
