"""Builders for the records alerting consumes (real ``shared.records`` models)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.records import Article, Mention, StorySummary, StoryUpdate, TaggedArticle

T0 = datetime(2025, 11, 25, 9, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

UpdateFactory = Callable[..., StoryUpdate]


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
    mentions = tuple(
        Mention(
            entity=e,
            alias=e.replace("_", " ").title(),
            text=e.replace("_", " ").title(),
            field="text",
            start=0,
            end=len(e),
            snippet=f"… {e.replace('_', ' ')} said …",
        )
        for e in entities
    )
    article = Article(
        id=article_id,
        url=f"https://news.example/{article_id}",
        title=title,
        text=text,
        lang=lang,
        published=published,
        fetched=fetched,
        source=source,
        feed="https://news.example/feed",
    )
    story = StorySummary(
        id=story_id,
        lang=lang,
        headline=title,
        revision=revision,
        article_count=article_count,
        source_count=source_count,
        first_seen=T0,
        last_seen=T0,
        entities=entities,
        terms=(),
        members=(article_id,),
    )
    return StoryUpdate(
        story=story,
        article=TaggedArticle(article=article, mentions=mentions, watchlist_version="w1"),
        is_new=revision == 1,
    )


def make_sub_dict(sub_id: str = "s1", query: str = "@elon_musk", **extra: Any) -> dict[str, Any]:
    return {
        "id": sub_id,
        "query": query,
        "channel": {"type": "webhook", "url": "https://hooks.example/x", "secret": SECRET},
        **extra,
    }


@pytest.fixture
def update() -> UpdateFactory:
    return make_update


@pytest.fixture
def sub_dict() -> Callable[..., dict[str, Any]]:
    return make_sub_dict
