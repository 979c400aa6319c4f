"""Acknowledge events in offset order, whatever order their work finishes in.

An agent that works on several events at once (alerting's first delivery attempts) must
not let Faust commit an offset whose event is still in flight: a crash would then skip
it. Faust does not guard this: its commit takes the first run of consecutive acked
offsets and lets one missing offset at the head through (it checks
``min(acked) - committed > 1``), and checks nothing before the first commit of a
partition. So events are acked here only once every earlier event of their partition
is done; Faust then only ever sees acks in order.

What an event changed in its tables is applied by its ``settle`` callback right before
its ack, in the same order: a table write is saved to the changelog as soon as it is
made, so a write made before the event's work finished would survive a crash that
replays the event (alerting's "already alerted" record for an alert never sent).

Only the events of the current assignment count: ``forget`` drops the partitions a
rebalance took away, and an event read again (after a seek back) replaces the old
reading, whose late ``done`` is then ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol


class Event(Protocol):
    """What this needs of a ``faust.EventT``."""

    @property
    def message(self) -> Any: ...

    def ack(self) -> bool: ...


Settle = Callable[[], None]


class OrderedAcks:
    """``track`` each event as it is read, ``done`` it when its work is finished."""

    def __init__(self) -> None:
        # per partition: offset -> [event, finished, settle], in the order they were read
        self._open: dict[Any, dict[int, list[Any]]] = {}

    def track(self, event: Event) -> None:
        tp, offset = event.message.tp, event.message.offset
        open_ = self._open.setdefault(tp, {})
        if open_ and offset <= next(reversed(open_)):  # read again: the old reading is void
            open_.clear()
        open_[offset] = [event, False, None]

    def done(self, event: Event, settle: Settle | None = None) -> bool:
        """Mark ``event`` finished; settle and ack it and every finished event after it,
        in order, once nothing earlier in its partition is still open. An event that is
        not tracked (forgotten, or read again since) is ignored: False."""
        tp, offset = event.message.tp, event.message.offset
        open_ = self._open.get(tp)
        entry = open_.get(offset) if open_ else None
        if open_ is None or entry is None or entry[0] is not event:
            return False
        entry[1], entry[2] = True, settle
        while open_:
            head = next(iter(open_))
            first, finished, then = open_[head]
            if not finished:
                break
            del open_[head]
            if then is not None:
                then()
            first.ack()
        if not open_:
            del self._open[tp]
        return True

    def forget(self, tps: Iterable[Any]) -> None:
        """Drop the partitions a rebalance took away: their events will be read again,
        by whichever worker has them now."""
        for tp in tps:
            self._open.pop(tp, None)

    def open_count(self) -> int:
        """Events read and not yet acked, over all partitions."""
        return sum(len(open_) for open_ in self._open.values())
