"""What the stories worker does around the clustering core, as plain functions: the
index built from the settings, each language's event-time clock, and the update an
already assigned article gets again. The Faust agent (``app.py``) and the backtest
(``services/alerting/backtest.py``) both call these, so the two cannot drift."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.records import StoryUpdate, TaggedArticle
from shared.settings import Settings

from .clustering import StoryIndex

__all__ = ["StreamClock", "index_from", "repeat_update"]


def index_from(settings: Settings) -> StoryIndex:
    """The ``StoryIndex`` the stories worker runs, with the settings' threshold and
    dormancy (every other tuned default is the core's own, ``scoring.py``)."""
    return StoryIndex(
        threshold=settings.story_threshold,
        dormant_after=timedelta(seconds=settings.story_dormant_after_s),
    )


class StreamClock:
    """Event time per language: the latest publication time seen in that language's
    stream, never ahead of the wall clock. Dormancy and decay follow the stream, so a
    replayed archive groups like live news, and one language running ahead of another
    in its partition does not age the other's stories."""

    def __init__(self) -> None:
        self.clocks: dict[str, datetime] = {}

    def at(self, lang: str, published: datetime, wall: datetime) -> datetime:
        """Advance ``lang``'s clock with an article published at ``published``."""
        now = max(self.clocks.get(lang, published), min(published, wall))
        self.clocks[lang] = now
        return now

    def current(self, lang: str, default: datetime) -> datetime:
        return self.clocks.get(lang, default)


def repeat_update(
    index: StoryIndex, first: Sequence[Any] | None, article: TaggedArticle
) -> StoryUpdate | None:
    """The update an already assigned article made (``first``: its story id and the
    revision it gave), said again; None when that story is not held (its state was lost
    in a crash, or it went dormant): then the article is clustered again."""
    story = index.get(str(first[0])) if first else None
    if first is None or story is None:
        return None
    revision = int(first[1])
    story = story.model_copy(update={"revision": revision})
    return StoryUpdate(story=story, article=article, is_new=revision == 1)
