"""Builders for the wire records (the real ``shared.records`` models), with plain defaults
a test overrides where it matters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from shared.records import Article, Mention, StorySummary, StoryUpdate, TaggedArticle

T0 = datetime(2025, 11, 25, 9, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a webhook secret for unit tests


def article(
    article_id: str = "art_1",
    *,
    title: str = "A headline",
    text: str = "Body text.",
    lang: str = "en",
    published: datetime = T0,
    fetched: datetime | None = None,
    source: str = "Reuters",
    feed: str = "https://news.example/feed",
    url: str | None = None,
) -> Article:
    """``fetched`` defaults to ``published``, ``url`` to ``https://news.example/ID``."""
    return Article(
        id=article_id,
        url=f"https://news.example/{article_id}" if url is None else url,
        title=title,
        text=text,
        lang=lang,
        published=published,
        fetched=published if fetched is None else fetched,
        source=source,
        feed=feed,
    )


def mention(
    entity: str,
    *,
    alias: str | None = None,
    text: str | None = None,
    field: Literal["title", "text"] = "text",
    start: int = 0,
    end: int | None = None,
    snippet: str | None = None,
) -> Mention:
    """``alias`` and ``text`` default to the entity id, ``end`` to ``start + len(text)``,
    ``snippet`` to the text."""
    text = entity if text is None else text
    return Mention(
        entity=entity,
        alias=entity if alias is None else alias,
        text=text,
        field=field,
        start=start,
        end=start + len(text) if end is None else end,
        snippet=text if snippet is None else snippet,
    )


def tagged(
    art: Article, mentions: Iterable[Mention] = (), watchlist_version: str = "t"
) -> TaggedArticle:
    return TaggedArticle(article=art, mentions=tuple(mentions), watchlist_version=watchlist_version)


def story(
    story_id: str = "st_1",
    *,
    lang: str = "en",
    headline: str = "A headline",
    revision: int = 1,
    article_count: int = 1,
    source_count: int = 1,
    first_seen: datetime = T0,
    last_seen: datetime | None = None,
    entities: Iterable[str] = (),
    terms: Iterable[str] = (),
    members: Iterable[str] = (),
) -> StorySummary:
    """``last_seen`` defaults to ``first_seen``."""
    return StorySummary(
        id=story_id,
        lang=lang,
        headline=headline,
        revision=revision,
        article_count=article_count,
        source_count=source_count,
        first_seen=first_seen,
        last_seen=first_seen if last_seen is None else last_seen,
        entities=tuple(entities),
        terms=tuple(terms),
        members=tuple(members),
    )


def story_update(
    summary: StorySummary, art: TaggedArticle, is_new: bool | None = None
) -> StoryUpdate:
    """``is_new`` defaults to "the story's first revision"."""
    return StoryUpdate(
        story=summary, article=art, is_new=summary.revision == 1 if is_new is None else is_new
    )


def make_update(
    *,
    entities: tuple[str, ...] = (),
    title: str = "A headline",
    text: str = "Body text.",
    lang: str = "en",
    source: str = "Reuters",
    story_id: str = "st_1",
    revision: int = 1,
    article_count: int = 1,
    source_count: int = 1,
    article_id: str = "art_1",
    published: datetime = T0,
    fetched: datetime = T0,
) -> StoryUpdate:
    """A story update as alerting consumes it: one article mentioning each entity once
    (alias and text "Elon Musk" for ``elon_musk``), in a story holding that article."""
    mentions = [
        mention(
            e,
            alias=e.replace("_", " ").title(),
            text=e.replace("_", " ").title(),
            end=len(e),
            snippet=f"… {e.replace('_', ' ')} said …",
        )
        for e in entities
    ]
    art = article(
        article_id,
        title=title,
        text=text,
        lang=lang,
        published=published,
        fetched=fetched,
        source=source,
    )
    summary = story(
        story_id,
        lang=lang,
        headline=title,
        revision=revision,
        article_count=article_count,
        source_count=source_count,
        entities=entities,
        members=(article_id,),
    )
    return story_update(summary, tagged(art, mentions, watchlist_version="w1"))


def fresh_update(
    story_id: str,
    *,
    entities: tuple[str, ...] = ("elon_musk", "sam_altman"),
    title: str = "Musk and Altman trade barbs",
    revision: int = 1,
    article_count: int = 1,
) -> StoryUpdate:
    """``make_update`` fetched now (so delivery latency is real), for a running alerting."""
    now = datetime.now(UTC)
    return make_update(
        entities=entities,
        title=title,
        text=" ".join(entities),
        source="Example News",
        story_id=story_id,
        revision=revision,
        article_count=article_count,
        article_id=f"art_{story_id}_{revision}",
        published=now - timedelta(seconds=1),
        fetched=now,
    )


def webhook_subscription(
    sub_id: str, query: str, url: str, secret: str, **extra: Any
) -> dict[str, Any]:
    """A subscription as the file and the API take it, delivering to a webhook."""
    return {
        "id": sub_id,
        "query": query,
        "channel": {"type": "webhook", "url": url, "secret": secret},
        **extra,
    }


def make_sub_dict(sub_id: str = "s1", query: str = "@elon_musk", **extra: Any) -> dict[str, Any]:
    """A webhook subscription to a placeholder URL (nothing is sent in unit tests)."""
    return webhook_subscription(sub_id, query, "https://hooks.example/x", SECRET, **extra)
