"""What was alerted per subscription × story: the saved table, and on top of it what
matching decided for updates whose alerts are still being attempted.

A decision is saved to the table (and so to its changelog) only when its update is
settled, right before the update is acknowledged: saved earlier, it would survive a
crash that replays the update, and the alert, never delivered, would not be raised
again. Until then it is kept here, so the next update of the same story decides against
it and does not raise the same alert twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

Entry = tuple[int, dict[str, Any]]  # (partition of the story update, policy.Sent as a dict)
Writes = list[tuple[str, Entry]]


class Ledger:
    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table
        self._unsettled: dict[str, Entry] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        """The latest decision for ``key``: unsettled first, else saved."""
        entry = self._unsettled.get(key)
        return entry[1] if entry is not None else self.table.get(key)

    def record(self, writes: Writes, key: str, partition: int, value: dict[str, Any]) -> None:
        """Keep a decision unsettled, and add it to its update's ``writes``."""
        entry = (partition, value)
        self._unsettled[key] = entry
        writes.append((key, entry))

    def settler(self, writes: Writes) -> Callable[[], None]:
        """What saves an update's decisions, called right before its ack."""

        def settle() -> None:
            for key, entry in writes:
                self.table[key] = entry[1]
                self._drop(key, entry)

        return settle

    def discard(self, writes: Writes) -> None:
        """Forget an update's decisions without saving them (it was dead-lettered)."""
        for key, entry in writes:
            self._drop(key, entry)

    def forget(self, partitions: Iterable[int]) -> None:
        """Drop the decisions of partitions a rebalance took away."""
        gone = set(partitions)
        for key in [k for k, (partition, _) in self._unsettled.items() if partition in gone]:
            del self._unsettled[key]

    def unsettled_count(self) -> int:
        return len(self._unsettled)

    def _drop(self, key: str, entry: Entry) -> None:
        if self._unsettled.get(key) is entry:  # not if a later update decided since
            del self._unsettled[key]
