"""Acknowledge events in offset order, whatever order their work finishes in.

An agent that works on several events at once (alerting's first delivery attempts) must
not let Faust commit an offset whose event is still in flight: a crash would then skip
it. Faust does not guard this: its commit takes the first run of consecutive acked
offsets and lets one missing offset at the head through (it checks
``min(acked) - committed > 1``), and checks nothing before the first commit of a
partition. So events are acked here only once every earlier event of their partition
is done; Faust then only ever sees acks in order.
"""

from __future__ import annotations

from typing import Any, Protocol


class Event(Protocol):
    """What this needs of a ``faust.EventT``."""

    @property
    def message(self) -> Any: ...

    def ack(self) -> bool: ...


class OrderedAcks:
    """``track`` each event as it is read, ``done`` it when its work is finished."""

    def __init__(self) -> None:
        # per partition: offset -> (event, done), in the order the events were read
        self._open: dict[Any, dict[int, tuple[Event, bool]]] = {}

    def track(self, event: Event) -> None:
        self._open.setdefault(event.message.tp, {})[event.message.offset] = (event, False)

    def done(self, event: Event) -> None:
        """Mark ``event`` finished; ack it and every finished event after it, in order,
        once nothing earlier in its partition is still open."""
        tp = event.message.tp
        open_ = self._open.get(tp)
        if open_ is None or event.message.offset not in open_:
            event.ack()  # never tracked: nothing to keep in order with
            return
        open_[event.message.offset] = (event, True)
        while open_:
            offset = next(iter(open_))
            head, finished = open_[offset]
            if not finished:
                return
            del open_[offset]
            head.ack()
        del self._open[tp]

    def open_count(self) -> int:
        """Events read and not yet acked, over all partitions."""
        return sum(len(open_) for open_ in self._open.values())
