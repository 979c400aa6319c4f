"""Dedup: exact (seen ids in the state store, across restarts) and near (MinHash)."""

from __future__ import annotations

from pathlib import Path

from services.ingest.dedup import NearDuplicates, from_bytes, signature, to_bytes
from services.ingest.state import IngestState

STORY = (
    "The central bank cut its growth forecast for next year on Friday, citing weak exports, "
    "high energy prices and the slow recovery of industrial production. Economists had "
    "expected a smaller cut. The bank now sees the economy growing by only 0.4 percent, "
    "down from 1.2 percent in its spring projection, and warned that risks remain tilted "
    "to the downside as trade tensions persist and consumers stay cautious."
)
EDITED = (
    STORY.replace("on Friday", "on Friday morning")
    .replace("Economists had", "Most economists had")
    .replace("0.4 percent", "0.5 percent")
)
OTHER = (
    "The football club announced a new coach on Monday after a disappointing season that saw "
    "the team finish in tenth place. The former assistant takes over with immediate effect and "
    "signed a contract until the summer of 2027, the club said in a statement on its website, "
    "adding that further changes to the staff would follow in the coming weeks."
)


def test_short_texts_are_not_compared():
    assert signature("Read more on our website") is None
    assert signature(STORY) is not None


def test_a_lightly_edited_text_is_a_near_duplicate_and_an_unrelated_one_is_not():
    near = NearDuplicates(threshold=0.8, capacity=100)
    original = signature(STORY)
    assert original is not None
    near.add("a_story", original)
    edited, other = signature(EDITED), signature(OTHER)
    assert edited is not None and other is not None
    assert near.find(edited) == "a_story"
    assert near.find(other) is None


def test_a_higher_threshold_rejects_the_edit():
    strict = NearDuplicates(threshold=0.99, capacity=100)
    strict.add("a_story", signature(STORY))
    assert strict.find(signature(EDITED)) is None


def test_capacity_evicts_the_oldest():
    near = NearDuplicates(threshold=0.8, capacity=1)
    near.add("a_story", signature(STORY))
    near.add("a_other", signature(OTHER))
    assert len(near) == 1
    assert near.find(signature(STORY)) is None
    assert near.find(signature(OTHER)) == "a_other"


def test_signatures_survive_a_round_trip_through_bytes():
    sig = signature(STORY)
    assert from_bytes(to_bytes(sig)).jaccard(sig) == 1.0


def test_seen_ids_and_signatures_survive_a_restart(tmp_path: Path):
    path = tmp_path / "ingest" / "state.sqlite3"
    state = IngestState(path)
    assert not state.is_seen("a_1")
    state.mark_seen("a_1", "https://feed.example/", 1.0)
    state.mark_seen("a_1", "https://other.example/", 2.0)  # a second feed: still one row
    state.add_sketch("a_1", to_bytes(signature(STORY)), 1.0)
    state.close()

    reopened = IngestState(path)
    assert reopened.is_seen("a_1") and not reopened.is_seen("a_2")
    assert reopened.seen_count() == 1
    near = NearDuplicates(threshold=0.8, capacity=10)
    near.load(reopened.recent_sketches(10))
    assert near.find(signature(EDITED)) == "a_1"


def test_recent_sketches_are_the_newest_and_prune_keeps_them():
    state = IngestState(":memory:")
    for i in range(5):
        state.add_sketch(f"a_{i}", b"\x00" * 256, float(i))
    assert [k for k, _ in state.recent_sketches(2)] == ["a_3", "a_4"]
    state.prune_sketches(keep=3)
    assert [k for k, _ in state.recent_sketches(10)] == ["a_2", "a_3", "a_4"]
