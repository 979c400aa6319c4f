"""Digest windows and the subscription store (file laid over the topic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.alerting import digest
from services.alerting.once_per_story import build_alert, render, render_text
from services.alerting.store import SubscriptionStore, to_wire
from services.alerting.subscriptions import SubscriptionError, validate
from shared.records import Alert, Digest, RetryEnvelope
from tests.support.records import make_sub_dict, make_update

NOW = datetime(2026, 11, 25, 12, 0, 10, tzinfo=UTC)


def alert(story: str, at: datetime = NOW, kind: str = "new", revision: int = 1) -> Alert:
    sub = validate(make_sub_dict("desk", query="@elon_musk", mode="digest", digest_minutes=60))
    update = make_update(entities=("elon_musk",), story_id=story, revision=revision)
    return build_alert(sub, update, kind, at)  # type: ignore[arg-type]


def test_two_stories_in_a_window_make_one_digest_with_a_stable_id() -> None:
    state, closed = digest.add(None, alert("st_a"), seconds=3600, partition=2, now=NOW)
    assert closed is None
    later = NOW + timedelta(minutes=20)
    state, closed = digest.add(state, alert("st_b", later), seconds=3600, partition=2, now=later)
    state, closed = digest.add(
        state, alert("st_a", later, "update", 2), seconds=3600, partition=2, now=later
    )
    assert closed is None
    assert not digest.due(state, NOW + timedelta(minutes=49))
    end = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    assert digest.due(state, end)
    built = digest.build("desk", state, end)
    assert [a.story_id for a in built.alerts] == ["st_a", "st_b"] or len(built.alerts) == 2
    assert {(a.story_id, a.story_revision) for a in built.alerts} == {("st_a", 2), ("st_b", 1)}
    assert built.window_start == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert built.window_end == end
    assert built.id == digest.build("desk", state, end + timedelta(hours=1)).id
    assert built.id != digest.digest_id("other", built.window_start)
    # it travels in a retry envelope and renders
    again = RetryEnvelope.loads(RetryEnvelope(alert=built, attempt=1, not_before=end).dumps())
    assert isinstance(again.alert, Digest) and again.alert == built
    body = render(built)
    assert body["type"] == "alert.digest"
    assert [s["story"]["id"] for s in body["data"]["stories"]] == [a.story_id for a in built.alerts]
    subject, text = render_text(built)
    assert subject == "[wirewatch] Digest: 2 stories for desk"
    assert "Digest id: dgst_" in text


def test_a_late_alert_closes_the_previous_window() -> None:
    state, _ = digest.add(None, alert("st_a"), seconds=60, partition=0, now=NOW)
    later = NOW + timedelta(minutes=5)
    state, closed = digest.add(state, alert("st_b", later), seconds=60, partition=0, now=later)
    assert closed is not None and [a.story_id for a in closed.alerts] == ["st_a"]
    assert list(state["alerts"]) == ["st_b"]


def test_store_file_overrides_topic_and_tombstones_delete(tmp_path: Path) -> None:
    file_sub = validate(make_sub_dict("shared-id", query="@elon_musk"))
    store = SubscriptionStore(tmp_path / "s.yaml", [file_sub])
    api_sub = validate(make_sub_dict("api-only", query="@sam_altman"))
    store.apply(0, "api-only", to_wire(api_sub))
    store.apply(1, "shared-id", to_wire(validate(make_sub_dict("shared-id", query="@openai"))))
    assert store.source("shared-id") == "file"
    assert store.get("shared-id") == file_sub  # the file wins
    assert store.get("api-only") == api_sub  # secrets survived the topic round trip
    assert [s.id for s in store] == ["api-only", "shared-id"]
    store.set_file([])  # the file no longer lists it: the topic's version applies
    assert store.get("shared-id") is not None
    assert store.get("shared-id").query == "@openai"  # type: ignore[union-attr]
    store.apply(2, "api-only", None)
    assert store.get("api-only") is None and store.source("api-only") is None
    assert store.applied == 2
    with pytest.raises(SubscriptionError):
        store.apply(3, "bad", {"id": "bad"})
    assert store.applied == 3  # a bad record is skipped, not re-read forever
    assert store.modes() == {"realtime": 1}
