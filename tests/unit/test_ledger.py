"""The alerting ledger: decisions are visible at once, saved only when settled."""

from __future__ import annotations

from services.alerting.ledger import Ledger, Writes


def test_an_unsettled_decision_is_seen_but_not_saved() -> None:
    table: dict[str, dict[str, int]] = {}
    ledger = Ledger(table)
    writes: Writes = []
    ledger.record(writes, "s|story", 2, {"revision": 1})
    assert ledger.get("s|story") == {"revision": 1}
    assert table == {}
    ledger.settler(writes)()
    assert table == {"s|story": {"revision": 1}}
    assert ledger.unsettled_count() == 0
    assert ledger.get("s|story") == {"revision": 1}


def test_settling_an_earlier_update_keeps_a_later_decision_unsettled() -> None:
    table: dict[str, dict[str, int]] = {}
    ledger = Ledger(table)
    first: Writes = []
    second: Writes = []
    ledger.record(first, "k", 0, {"revision": 1})
    ledger.record(second, "k", 0, {"revision": 2})
    ledger.settler(first)()
    assert table["k"] == {"revision": 1}
    assert ledger.get("k") == {"revision": 2}  # the later decision still counts
    ledger.settler(second)()
    assert table["k"] == {"revision": 2}
    assert ledger.unsettled_count() == 0


def test_discarded_and_forgotten_decisions_fall_back_to_the_table() -> None:
    table = {"a": {"revision": 5}}
    ledger = Ledger(table)
    writes: Writes = []
    ledger.record(writes, "a", 1, {"revision": 6})
    ledger.record(writes, "b", 3, {"revision": 1})
    ledger.discard(writes[:1])
    assert ledger.get("a") == {"revision": 5}
    ledger.forget([3])
    assert ledger.get("b") is None
    assert table == {"a": {"revision": 5}}
