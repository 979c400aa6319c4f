"""Events finish out of order; Faust must see their acks in offset order per partition
(its own commit lets a missing head offset through, see ``shared.acks``)."""

from __future__ import annotations

import random
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


def test_an_untracked_event_is_acked_at_once() -> None:
    log: list[tuple[str, int]] = []
    (e,) = events(log, "p0", range(3, 4))
    OrderedAcks().done(e)
    assert log == [("p0", 3)]


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
