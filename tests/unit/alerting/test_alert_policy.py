"""Once-per-story policy, alert ids, and what subscribers receive."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.alerting.once_per_story import (
    Sent,
    alert_id,
    build_alert,
    decide,
    remember,
    render,
    render_text,
)
from services.alerting.subscriptions import Subscription, validate
from shared.records import Alert, StoryUpdate

SubDict = Callable[..., dict[str, Any]]
Update = Callable[..., StoryUpdate]
NOW = datetime(2025, 11, 25, 10, 0, tzinfo=UTC)


def policy_sub(sub_dict: SubDict, **updates: int) -> Subscription:
    return validate(sub_dict(updates=updates))


@pytest.mark.parametrize(
    ("updates", "last", "story", "expected"),
    [
        ({}, None, (1, 1, 1), "new"),
        ({}, None, (9, 40, 12), "new"),  # first match of an old story is still "new" to them
        ({}, (1, 1, 1), (2, 40, 30), None),  # no update policy: never updates
        ({"every_articles": 5}, (1, 1, 1), (2, 5, 1), None),
        ({"every_articles": 5}, (1, 1, 1), (3, 6, 1), "update"),
        ({"every_sources": 3}, (1, 1, 1), (3, 20, 3), None),
        ({"every_sources": 3}, (1, 1, 1), (3, 20, 4), "update"),
        ({"every_articles": 5, "every_sources": 3}, (4, 6, 1), (5, 7, 4), "update"),
        ({"every_articles": 1}, (5, 6, 2), (5, 9, 2), None),  # same revision: replay
        ({"every_articles": 1}, (5, 6, 2), (4, 9, 2), None),  # older revision: out of order
    ],
)
def test_decide(
    sub_dict: SubDict,
    update: Update,
    updates: dict[str, int],
    last: tuple[int, int, int] | None,
    story: tuple[int, int, int],
    expected: str | None,
) -> None:
    revision, articles, sources = story
    summary = update(revision=revision, article_count=articles, source_count=sources).story
    assert (
        decide(policy_sub(sub_dict, **updates), summary, Sent(*last) if last else None) == expected
    )


def test_forty_syndicated_copies_give_one_alert(sub_dict: SubDict, update: Update) -> None:
    sub = policy_sub(sub_dict, every_articles=50)
    last: Sent | None = None
    kinds = []
    for n in range(1, 41):
        story = update(revision=n, article_count=n, source_count=1).story
        kind = decide(sub, story, last)
        if kind:
            kinds.append(kind)
            last = Sent(story.revision, story.article_count, story.source_count)
    assert kinds == ["new"]


def test_a_replayed_revision_is_alerted_again_only_if_it_was_alerted(
    sub_dict: SubDict, update: Update
) -> None:
    sub = policy_sub(sub_dict, every_articles=2)
    last = Sent(7, 9, 3, alerted=((5, "new"), (7, "update")))
    replayed = {r: decide(sub, update(revision=r, article_count=9).story, last) for r in (5, 6, 7)}
    assert replayed == {5: "new", 6: None, 7: "update"}
    assert remember(last, update(revision=6).story, "update") is last  # replays change nothing


def test_remember_keeps_recent_alerted_revisions(update: Update) -> None:
    last: Sent | None = None
    for r in range(1, 40):
        last = remember(last, update(revision=r, article_count=r).story, "update")
    assert last is not None and (last.revision, last.article_count) == (39, 39)
    assert [r for r, _ in last.alerted] == list(range(24, 40))
    assert Sent.from_dict(last.to_dict()) == last
    assert Sent.from_dict({"revision": 2, "article_count": 3, "source_count": 1}) == Sent(2, 3, 1)


def test_a_crash_after_the_state_was_saved_loses_no_alert(
    sub_dict: SubDict, update: Update
) -> None:
    """The table write survives the crash, the sends and the offset commit do not: the
    updates since the last commit come again and must raise every alert they raised."""
    sub = policy_sub(sub_dict, every_articles=1)
    stream = [update(revision=r, article_count=r).story for r in range(1, 11)]

    def run(updates: list[Any], last: Sent | None) -> tuple[list[str], Sent | None]:
        ids = []
        for story in updates:
            kind = decide(sub, story, last)
            if kind:
                ids.append(alert_id(sub.id, story.id, story.revision))
                last = remember(last, story, kind)
        return ids, last

    clean, _ = run(stream, None)
    committed, state = run(stream[:4], None)
    _lost_in_flight, state = run(stream[4:7], state)  # state saved, alerts never sent
    replayed, _ = run(stream[4:], state)  # restart: from the last committed offset
    assert len(clean) == 10
    assert committed + replayed == clean


def test_alert_id() -> None:
    a = alert_id("musk-and-altman", "st_1", 3)
    assert a == alert_id("musk-and-altman", "st_1", 3)
    assert a.startswith("alrt_") and len(a) == 5 + 32
    int(a[5:], 16)
    others = {
        alert_id("musk-and-altman", "st_1", 4),
        alert_id("musk-and-altman", "st_2", 3),
        alert_id("musk", "st_1", 3),
        alert_id("musk-and-altman", "3:st_1", 1),
    }
    assert a not in others and len(others) == 4


def make_alert(sub_dict: SubDict, update: Update, kind: str = "new") -> Alert:
    sub = validate(sub_dict("musk-and-altman", "@elon_musk AND @sam_altman"))
    u = update(
        entities=("sam_altman", "elon_musk", "jensen_huang"),
        title="Musk sues\nAltman",
        story_id="st_9",
        revision=4,
        article_count=6,
        article_id="art_7",
    )
    return build_alert(sub, u, kind, NOW)  # type: ignore[arg-type]


def test_build_alert(sub_dict: SubDict, update: Update) -> None:
    alert = make_alert(sub_dict, update)
    assert alert.id == alert_id("musk-and-altman", "st_9", 4)
    assert (alert.subscription, alert.kind, alert.story_id) == ("musk-and-altman", "new", "st_9")
    assert (alert.story_revision, alert.story_size, alert.article_id) == (4, 6, "art_7")
    assert alert.article_url == "https://news.example/art_7"
    # the ones the query names first, then the article's other watched entities
    assert alert.entities == ("elon_musk", "sam_altman", "jensen_huang")
    assert {m.entity for m in alert.mentions} == {"elon_musk", "sam_altman", "jensen_huang"}
    assert alert.created == NOW
    assert Alert.loads(alert.dumps()) == alert


def test_keyword_query_alert_lists_article_entities(sub_dict: SubDict, update: Update) -> None:
    sub = validate(sub_dict("kw", "musk"))
    alert = build_alert(sub, update(entities=("b", "a"), text="musk"), "new", NOW)
    assert alert.entities == ("a", "b")


def test_render(sub_dict: SubDict, update: Update) -> None:
    alert = make_alert(sub_dict, update, "update")
    body = render(alert)
    json.dumps(body)  # serialisable
    assert body["type"] == "alert.update"
    data = body["data"]
    assert data["id"] == alert.id
    assert data["story"] == {
        "id": "st_9",
        "headline": "Musk sues\nAltman",
        "revision": 4,
        "size": 6,
    }
    assert data["article"]["url"] == "https://news.example/art_7"
    assert [m["entity"] for m in data["matched"]] == ["elon_musk", "sam_altman", "jensen_huang"]
    first = data["matched"][0]["mentions"][0]
    assert (first["field"], first["start"], first["end"]) == (
        alert.mentions[0].field,
        alert.mentions[0].start,
        alert.mentions[0].end,
    )
    assert data["matched"][0]["mentions"][0]["snippet"] == "… elon musk said …"
    assert [(h["term"], h["kind"]) for h in data["held"]] == [
        ("@elon_musk", "entity"),
        ("@sam_altman", "entity"),
    ]


def test_render_text(sub_dict: SubDict, update: Update) -> None:
    subject, text = render_text(make_alert(sub_dict, update))
    assert subject == "[wirewatch] New story: Musk sues Altman"
    assert "https://news.example/art_7" in text
    assert '- @elon_musk (1x, text: "… elon musk said …")' in text
    assert "Also mentioned: jensen_huang" in text
    assert text.rstrip().endswith(alert_id("musk-and-altman", "st_9", 4))
    subject, _ = render_text(make_alert(sub_dict, update, "update"))
    assert subject == "[wirewatch] Update (6 articles): Musk sues Altman"


def test_subject_is_one_bounded_line(sub_dict: SubDict, update: Update) -> None:
    sub = validate(sub_dict())
    alert = build_alert(sub, update(title="x\r\nBcc: evil@example.org " + "y" * 500), "new", NOW)
    subject, _ = render_text(alert)
    assert "\n" not in subject and "\r" not in subject
    assert len(subject) <= len("[wirewatch] New story: ") + 150
