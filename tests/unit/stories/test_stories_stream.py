"""The worker's clock and repeat, as the agent and the backtest both call them."""

from __future__ import annotations

from datetime import timedelta

from services.stories.stream import StreamClock, index_from, repeat_update
from shared.settings import Settings

from .builders import T0, tagged


def test_each_language_has_its_own_clock_never_ahead_of_the_wall() -> None:
    clock = StreamClock()
    assert clock.at("de", T0, wall=T0 + timedelta(days=1)) == T0
    assert clock.at("de", T0 - timedelta(hours=5), wall=T0 + timedelta(days=1)) == T0
    assert clock.at("en", T0 - timedelta(hours=5), wall=T0) == T0 - timedelta(hours=5)
    assert clock.at("de", T0 + timedelta(days=3), wall=T0 + timedelta(days=1)) == T0 + timedelta(
        days=1
    )
    assert clock.current("fr", T0) == T0


def test_repeat_says_the_first_update_again_or_none_when_the_story_is_gone() -> None:
    index = index_from(Settings())
    article = tagged("a1", "en", "Fed holds rates", "The Fed kept rates.", T0)
    story, _ = index.assign(article, T0)
    again = repeat_update(index, [story.id, 1, "en"], article)
    assert again is not None and again.is_new and again.story.id == story.id
    assert again.story.revision == 1
    assert repeat_update(index, None, article) is None
    assert repeat_update(index, ["st_gone", 1, "en"], article) is None
