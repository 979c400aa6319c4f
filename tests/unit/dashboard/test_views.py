"""The dashboard's read models: stories by last update, mentions per entity per bucket,
the latest alerts — bounded, idempotent under redelivery, driven by the clock they get."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from services.dashboard.views import (
    AlertFeed,
    Dashboard,
    MentionTimeline,
    RecentIds,
    StoryBoard,
)
from shared.records import Alert, DeadLetter, Held, RetryEnvelope, StoryUpdate
from tests.support import records

NOW = datetime(2026, 11, 25, 12, 2, 30, tzinfo=UTC)


def update(
    story_id: str = "st_1",
    article_id: str = "a1",
    *,
    revision: int = 1,
    size: int = 1,
    lang: str = "de",
    article_lang: str | None = None,
    entities: tuple[str, ...] = ("elon_musk", "sam_altman"),
    mentions: tuple[str, ...] = ("elon_musk", "elon_musk", "sam_altman"),
    fetched: datetime = NOW,
    last_seen: datetime = NOW,
    headline: str = "Musk vs. Altman",
) -> StoryUpdate:
    article = records.article(
        article_id,
        url=f"https://example.org/{article_id}",
        title=headline,
        text="…",
        lang=article_lang or lang,
        published=fetched - timedelta(hours=1),
        fetched=fetched,
        source="example",
        feed="test",
    )
    tagged = records.tagged(
        article, [records.mention(e, start=i * 20) for i, e in enumerate(mentions)]
    )
    story = records.story(
        story_id,
        lang=lang,
        headline=headline,
        revision=revision,
        article_count=size,
        first_seen=last_seen - timedelta(minutes=size),
        last_seen=last_seen,
        entities=entities,
        terms=("roadster",),
        members=(article_id,),
    )
    return records.story_update(story, tagged)


def alert(ident: str, created: datetime = NOW, kind: str = "new") -> Alert:
    return Alert(
        id=ident,
        subscription="musk-and-altman",
        kind=kind,
        story_id="st_1",
        story_headline="Musk vs. Altman",
        story_revision=1,
        story_size=1,
        article_id="a1",
        article_title="Musk vs. Altman",
        article_url="https://example.org/a1",
        published=created,
        fetched=created,
        entities=("elon_musk", "sam_altman"),
        mentions=(records.mention("elon_musk"),),
        created=created,
    )


class TestStoryBoard:
    def test_newest_revision_wins_and_languages_accumulate(self) -> None:
        board = StoryBoard()
        board.apply(update(revision=1, size=1, lang="de"))
        board.apply(
            update(
                article_id="a2",
                revision=2,
                size=2,
                article_lang="en",
                entities=("elon_musk", "sam_altman", "openai"),
            )
        )
        [story] = board.latest()
        assert (story.revision, story.size) == (2, 2)
        assert story.languages == ("de", "en")
        assert story.entities == ("elon_musk", "sam_altman", "openai")

    def test_a_late_older_revision_does_not_roll_the_story_back(self) -> None:
        board = StoryBoard()
        board.apply(update(revision=3, size=3, headline="new headline"))
        board.apply(
            update(article_id="a0", revision=1, size=1, headline="old headline", article_lang="fr")
        )
        [story] = board.latest()
        assert (story.revision, story.size, story.headline) == (3, 3, "new headline")
        assert "fr" in story.languages

    def test_ordered_by_last_update_newest_first(self) -> None:
        board = StoryBoard()
        for i, minutes in enumerate((30, 5, 60)):
            board.apply(update(f"st_{i}", f"a{i}", fetched=NOW - timedelta(minutes=minutes)))
        assert [s.id for s in board.latest()] == ["st_1", "st_0", "st_2"]
        assert [s.id for s in board.latest(limit=1)] == ["st_1"]

    def test_bounded_by_dropping_the_least_recently_updated(self) -> None:
        board = StoryBoard(max_stories=3)
        for i in range(5):
            board.apply(update(f"st_{i}", f"a{i}", fetched=NOW + timedelta(minutes=i)))
        assert len(board) == 3
        assert {s.id for s in board.latest()} == {"st_2", "st_3", "st_4"}

    def test_stories_without_updates_expire(self) -> None:
        board = StoryBoard(dormant_after=timedelta(hours=1))
        board.apply(update("st_old", "a1", fetched=NOW - timedelta(hours=2)))
        board.apply(update("st_new", "a2", fetched=NOW - timedelta(minutes=10)))
        assert board.expire(NOW) == 1
        assert [s.id for s in board.latest()] == ["st_new"]

    def test_an_archive_story_published_long_ago_is_live_when_just_replayed(self) -> None:
        board = StoryBoard(dormant_after=timedelta(days=3))
        board.apply(update(last_seen=NOW - timedelta(days=400), fetched=NOW))
        assert board.expire(NOW) == 0
        assert len(board.latest()) == 1

    def test_a_late_update_does_not_move_the_update_time_back(self) -> None:
        board = StoryBoard()
        board.apply(update(revision=2, fetched=NOW))
        board.apply(update(article_id="a0", revision=1, fetched=NOW - timedelta(hours=1)))
        assert board.latest()[0].updated == NOW

    def test_json_shape(self) -> None:
        board = StoryBoard()
        data = board.apply(update()).to_json()
        assert data["id"] == "st_1"
        assert data["entities"] == ["elon_musk", "sam_altman"]
        assert data["last_seen"] == "2026-11-25T12:02:30Z"
        assert data["updated"] == "2026-11-25T12:02:30Z"


class TestMentionTimeline:
    def test_counts_per_entity_per_five_minute_bucket(self) -> None:
        tl = MentionTimeline()
        tl.add(NOW, Counter({"elon_musk": 2, "sam_altman": 1}), NOW)
        tl.add(NOW - timedelta(minutes=7), Counter({"elon_musk": 1}), NOW)
        series = tl.series(NOW, hours=1)
        assert series.length == 12
        assert series.start == datetime(2026, 11, 25, 11, 5, tzinfo=UTC)
        assert series.counts["elon_musk"][-1] == 2
        assert series.counts["elon_musk"][-2] == 1
        assert series.counts["sam_altman"] == [0] * 11 + [1]
        assert list(series.counts) == ["elon_musk", "sam_altman"]  # by total, descending

    def test_json_has_one_timestamp_per_bucket(self) -> None:
        tl = MentionTimeline()
        tl.add(NOW, Counter({"openai": 3}), NOW)
        data = tl.series(NOW, hours=6).to_json()
        assert data["bucket_seconds"] == 300
        assert len(data["buckets"]) == 72
        assert data["buckets"][-1] == "2026-11-25T12:00:00Z"
        assert data["series"] == [{"entity": "openai", "counts": [0] * 71 + [3], "total": 3}]

    def test_old_buckets_are_dropped_and_out_of_range_ones_ignored(self) -> None:
        tl = MentionTimeline(keep=timedelta(hours=1))
        tl.add(NOW - timedelta(minutes=50), Counter({"tesla_roadster": 1}), NOW)
        tl.add(NOW - timedelta(hours=3), Counter({"openai": 1}), NOW)  # too old: ignored
        assert list(tl.series(NOW, hours=24).counts) == ["tesla_roadster"]
        later = NOW + timedelta(minutes=30)
        tl.prune(later)
        assert tl.series(later, hours=1).counts == {}

    def test_future_times_count_now(self) -> None:
        tl = MentionTimeline()
        tl.add(NOW + timedelta(hours=2), Counter({"openai": 1}), NOW)
        assert tl.series(NOW, hours=1).counts["openai"][-1] == 1

    def test_top_limits_the_entities(self) -> None:
        tl = MentionTimeline()
        tl.add(NOW, Counter({f"e{i:02d}": i + 1 for i in range(15)}), NOW)
        series = tl.series(NOW, hours=1, top=3)
        assert list(series.counts) == ["e14", "e13", "e12"]

    def test_rejects_a_bucket_larger_than_what_it_keeps(self) -> None:
        with pytest.raises(ValueError, match="bucket"):
            MentionTimeline(bucket=timedelta(hours=2), keep=timedelta(hours=1))


class TestAlertFeed:
    def test_latest_first_bounded_and_once_per_id(self) -> None:
        feed = AlertFeed(limit=3)
        for i in range(5):
            assert feed.add(alert(f"al_{i}", NOW + timedelta(seconds=i)))
        assert not feed.add(alert("al_4", NOW + timedelta(seconds=4)))
        assert [a.id for a in feed.latest()] == ["al_4", "al_3", "al_2"]
        assert feed.latest()[0].to_json()["entities"] == ["elon_musk", "sam_altman"]


def test_recent_ids_forget_the_oldest() -> None:
    ids = RecentIds(size=2)
    assert ids.add("a") and ids.add("b") and not ids.add("a")
    assert ids.add("c")  # "a" forgotten
    assert ids.add("a")


class TestDashboard:
    def test_a_redelivered_update_counts_its_mentions_once(self) -> None:
        dash = Dashboard()
        assert dash.apply_update(update(), NOW)
        assert not dash.apply_update(update(), NOW)
        series = dash.mentions.series(NOW, hours=1)
        assert series.counts["elon_musk"][-1] == 2
        assert series.counts["sam_altman"][-1] == 1
        assert len(dash.stories) == 1

    def test_mentions_bucket_by_ingest_time_not_publication(self) -> None:
        dash = Dashboard()
        dash.apply_update(update(fetched=NOW - timedelta(minutes=12)), NOW)
        counts = dash.mentions.series(NOW, hours=1).counts["elon_musk"]
        assert counts[-3:] == [2, 0, 0]

    def test_alerts(self) -> None:
        dash = Dashboard()
        assert dash.apply_alert(alert("al_1"))
        assert [a.id for a in dash.alerts.latest()] == ["al_1"]


class TestStoryDetail:
    def test_a_story_opens_to_its_articles_sources_mentions_and_links(self) -> None:
        board = StoryBoard(articles_per_story=2)
        board.apply(update("st_en", "e1", lang="en", headline="Altman airs his refund saga"))
        first = update(revision=1)
        board.apply(first)
        linked = update(article_id="a2", revision=2, size=2)
        story = linked.story.model_copy(update={"links": ("st_en", "st_gone")})
        board.apply(linked.model_copy(update={"story": story}))
        board.apply(linked.model_copy(update={"story": story}))  # redelivered: kept once
        detail = board.detail("st_1")
        assert detail is not None
        assert [a["id"] for a in detail["articles"]] == ["a2", "a1"]  # newest first
        assert detail["articles"][0]["mentions"][0] == {"entity": "elon_musk", "text": "elon_musk"}
        assert detail["article_sources"] == [{"source": "example", "articles": 2}]
        assert detail["mention_counts"] == [
            {"entity": "elon_musk", "mentions": 4},
            {"entity": "sam_altman", "mentions": 2},
        ]
        assert detail["linked"] == [
            {"id": "st_en", "headline": "Altman airs his refund saga", "lang": "en", "size": 1},
            {"id": "st_gone", "headline": None, "lang": None, "size": None},
        ]
        board.apply(update(article_id="a3", revision=3, size=3))
        again = board.detail("st_1")
        assert again is not None and [a["id"] for a in again["articles"]] == ["a3", "a2"]
        assert board.detail("st_nope") is None

    def test_expired_stories_forget_their_articles(self) -> None:
        board = StoryBoard(dormant_after=timedelta(hours=1))
        board.apply(update(fetched=NOW - timedelta(hours=2)))
        board.expire(NOW)
        assert board.detail("st_1") is None
        assert board._articles == {}


class TestAlertStatus:
    def envelope(self, a: Alert, attempt: int, error: str) -> RetryEnvelope:
        return RetryEnvelope(alert=a, attempt=attempt, not_before=NOW, last_error=error)

    def letter(self, a: Alert | str, topic: str = "wirewatch.alerts") -> DeadLetter:
        value = a if isinstance(a, str) else a.dumps().decode()
        return DeadLetter(
            topic=topic,
            partition=0,
            offset=1,
            reason="undeliverable: final answer on attempt 1: HTTP 410",
            value=value,
            failed_at=NOW,
        )

    def test_failed_then_dead_lettered(self) -> None:
        board = Dashboard()
        board.apply_alert(alert("x1"))
        assert not board.apply_retry(self.envelope(alert("x1"), 1, ""))  # queued, not failed
        assert board.apply_retry(self.envelope(alert("x1"), 2, "HTTP 503"))
        [view] = board.alerts.latest()
        assert (view.status, view.detail) == ("retrying", "attempt 1 failed: HTTP 503")
        assert board.apply_dead_letter(self.letter(alert("x1"), "wirewatch.alerts-retry"))
        assert board.alerts.latest()[0].to_json()["status"] == "dead-lettered"
        board.apply_retry(self.envelope(alert("x1"), 3, "HTTP 503"))  # never goes back
        assert board.alerts.latest()[0].status == "dead-lettered"

    def test_a_dead_letter_before_its_alert_is_kept_for_it(self) -> None:
        board = Dashboard()
        assert not board.apply_dead_letter(self.letter(alert("x2")))
        board.apply_alert(alert("x2"))
        view = board.alerts.latest()[0]
        assert view.status == "dead-lettered"
        assert view.detail.endswith("HTTP 410")

    def test_other_dead_letters_are_ignored(self) -> None:
        board = Dashboard()
        board.apply_alert(alert("x3"))
        assert not board.apply_dead_letter(self.letter(alert("x3"), "wirewatch.articles"))
        assert not board.apply_dead_letter(self.letter("not json"))
        assert board.alerts.latest()[0].status == "raised"
        held = alert("x4").model_copy(
            update={"held": (Held(term="@elon_musk", kind="entity", count=2, field="title",
                                  text="Musk", snippet="Musk sues"),)}
        )  # fmt: skip
        board.apply_alert(held)
        shown = next(a for a in board.alerts.latest() if a.id == "x4").to_json()
        assert shown["held"] == ['@elon_musk (2x, title: "Musk sues")']
