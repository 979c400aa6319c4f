"""Events finish out of order; Faust must see their acks in offset order per partition
(its own commit lets a missing head offset through, see ``shared.acks``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.acks import OrderedAcks


@dataclass(frozen=True)
class Message:
    tp: str
    offset: int


@dataclass(eq=False)
class Event:
    message: Message
    acked_log: list[tuple[str, int]] = field(repr=False)

    def ack(self) -> bool:
        self.acked_log.append((self.message.tp, self.message.offset))
        return True


def events(log: list[tuple[str, int]], tp: str, offsets: range) -> list[Event]:
    return [Event(Message(tp, o), log) for o in offsets]


def test_a_finished_event_waits_for_the_earlier_ones() -> None:
    log: list[tuple[str, int]] = []
    acks = OrderedAcks()
    first, second, third = events(log, "p0", range(10, 13))
    for e in (first, second, third):
        acks.track(e)
    acks.done(third)
    acks.done(second)
    assert log == []
    assert acks.open_count() == 3
    acks.done(first)
    assert log == [("p0", 10), ("p0", 11), ("p0", 12)]
    assert acks.open_count() == 0


def test_partitions_do_not_wait_for_each_other() -> None:
    log: list[tuple[str, int]] = []
    acks = OrderedAcks()
    (a,) = events(log, "p0", range(5, 6))
    (b,) = events(log, "p1", range(7, 8))
    acks.track(a)
    acks.track(b)
    acks.done(b)
    assert log == [("p1", 7)]


def test_an_untracked_event_is_neither_settled_nor_acked() -> None:
    log: list[tuple[str, int]] = []
    (e,) = events(log, "p0", range(3, 4))
    settled: list[int] = []
    assert OrderedAcks().done(e, lambda: settled.append(3)) is False
    assert log == [] and settled == []


def test_settling_runs_in_offset_order_right_before_each_ack() -> None:
    log: list[tuple[str, int]] = []
    acks = OrderedAcks()
    batch = events(log, "p0", range(0, 3))
    for e in batch:
        acks.track(e)
    seen: list[tuple[str, int]] = []

    def settle(offset: int) -> Callable[[], None]:
        return lambda: seen.append(("settled", offset))

    acks.done(batch[2], settle(2))
    acks.done(batch[1], settle(1))
    assert seen == []
    acks.done(batch[0], settle(0))
    assert seen == [("settled", 0), ("settled", 1), ("settled", 2)]
    assert log == [("p0", 0), ("p0", 1), ("p0", 2)]


def test_settle_happens_before_the_ack() -> None:
    log: list[tuple[str, int]] = []
    acks = OrderedAcks()
    (e,) = events(log, "p0", range(9, 10))
    acks.track(e)
    acks_when_settled: list[int] = []
    acks.done(e, lambda: acks_when_settled.append(len(log)))
    assert acks_when_settled == [0] and log == [("p0", 9)]


def test_a_forgotten_partition_acks_nothing_of_its_old_events() -> None:
    log: list[tuple[str, int]] = []
    acks = OrderedAcks()
    first, second = events(log, "p0", range(4, 6))
    (other,) = events(log, "p1", range(4, 5))
    for e in (first, second, other):
        acks.track(e)
    acks.done(second)
    acks.forget(["p0"])
    assert acks.done(first) is False
    assert log == []
    assert acks.open_count() == 1  # p1 is untouched
    acks.done(other)
    assert log == [("p1", 4)]


def test_an_event_read_again_voids_the_old_reading() -> None:
    """After a seek back the same offsets are read again as new events: a late done of
    the old reading must not ack (or settle) the new one, whose work is not finished."""
    log: list[tuple[str, int]] = []
    acks = OrderedAcks()
    old = events(log, "p0", range(20, 23))
    for e in old:
        acks.track(e)
    again = events(log, "p0", range(20, 23))
    acks.track(again[0])
    assert acks.done(old[0]) is False
    assert log == []
    assert acks.open_count() == 1
    acks.done(again[0])
    assert log == [("p0", 20)]


def test_any_finishing_order_acks_a_prefix_in_order() -> None:
    rng = random.Random(7)
    for _ in range(200):
        log: list[tuple[str, int]] = []
        acks = OrderedAcks()
        batch = events(log, "p0", range(100, 100 + rng.randint(1, 30)))
        for e in batch:
            acks.track(e)
        order = batch[:]
        rng.shuffle(order)
        finished: set[int] = set()
        for e in order:
            acks.done(e)
            finished.add(e.message.offset)
            acked = [offset for _, offset in log]
            # what is acked is exactly the longest finished prefix, in order
            prefix = []
            for b in batch:
                if b.message.offset not in finished:
                    break
                prefix.append(b.message.offset)
            assert acked == prefix
