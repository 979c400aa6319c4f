"""The subscriptions one alerting worker matches: the declarative file's (GitOps) laid
over the API-managed ones read from the compacted ``wirewatch.subscriptions`` topic.

Two sources, one ``SubscriptionIndex``. An id listed in the file is *file-managed*: the
file's version is the one in force and the API refuses to change it. Every other id is
*API-managed* and is whatever the topic last said about it (a tombstone deletes it).
``applied`` is the offset of the last topic record applied, which the API uses to answer
only after its own worker has applied a write (read-your-writes).

Pure: no Kafka, no files, no clock. ``sublog`` feeds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from services.alerting.index import SubscriptionIndex
from services.alerting.subscriptions import Subscription, validate

__all__ = ["Source", "SubscriptionStore", "to_wire"]

Source = Literal["file", "api"]


def to_wire(sub: Subscription) -> dict[str, Any]:
    """``sub`` as the mapping ``validate`` accepts, secrets in clear (for the topic only)."""
    data = sub.model_dump(mode="json")
    channel = sub.channel
    if channel.type == "webhook":
        data["channel"]["secret"] = channel.secret.get_secret_value()
    return data


class SubscriptionStore:
    def __init__(self, file_path: Path, file_subs: Iterable[Subscription] = ()) -> None:
        self.file_path = file_path
        self.index = SubscriptionIndex()
        self._file: dict[str, Subscription] = {}
        self._api: dict[str, Subscription] = {}
        self.applied = -1
        self.set_file(file_subs)

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[Subscription]:
        return iter(sorted(self.index, key=lambda s: s.id))

    def get(self, sub_id: str) -> Subscription | None:
        return self.index.get(sub_id)

    def source(self, sub_id: str) -> Source | None:
        if sub_id in self._file:
            return "file"
        return "api" if sub_id in self._api else None

    def modes(self) -> Counter[str]:
        return Counter(s.mode for s in self.index)

    def _refresh(self, sub_id: str) -> None:
        effective = self._file.get(sub_id) or self._api.get(sub_id)
        if effective is None:
            self.index.remove(sub_id)
        elif self.index.get(sub_id) != effective:
            self.index.upsert(effective)

    def set_file(self, subs: Iterable[Subscription]) -> list[str]:
        """Replace the file's subscriptions; returns the ids whose effective version changed."""
        new = {s.id: s for s in subs}
        touched = sorted(set(self._file) | set(new))
        changed = [i for i in touched if self._file.get(i) != new.get(i)]
        self._file = new
        for sub_id in changed:
            self._refresh(sub_id)
        return changed

    def apply(self, offset: int, sub_id: str, raw: dict[str, Any] | None) -> Subscription | None:
        """Apply one topic record (``raw`` None: a tombstone). Raises ``SubscriptionError``
        if the record does not validate (the caller logs it and goes on)."""
        try:
            if raw is None:
                self._api.pop(sub_id, None)
                sub = None
            else:
                sub = validate(raw)
                if sub.id != sub_id:
                    raise ValueError(f"record key {sub_id!r} differs from its id {sub.id!r}")
                self._api[sub_id] = sub
            self._refresh(sub_id)
            return sub
        finally:
            self.applied = max(self.applied, offset)
