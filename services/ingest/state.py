"""Durable ingest state in one SQLite file (default ``<data_dir>/ingest/state.sqlite3``):
per-feed validators (ETag, Last-Modified) and schedule, the ids already published,
and MinHash signatures of recent texts for near-duplicate checks.

Used from the event-loop thread only; each write commits (WAL, synchronous=NORMAL:
survives a process crash, may lose the last writes on power loss, which at worst
re-fetches a feed or re-offers an article that dedup on the consumer side drops).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from services.ingest.fetch import Validators
from services.ingest.schedule import FeedSchedule

__all__ = ["FeedState", "IngestState", "default_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    interval_s REAL NOT NULL,
    next_poll REAL NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    parked INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS seen (
    id TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sketch (
    id TEXT PRIMARY KEY,
    seen_at REAL NOT NULL,
    hashes BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sketch_seen_at ON sketch (seen_at);
"""


def default_path(data_dir: Path) -> Path:
    return data_dir / "ingest" / "state.sqlite3"


@dataclass(frozen=True)
class FeedState:
    schedule: FeedSchedule
    validators: Validators = field(default_factory=Validators)
    last_error: str | None = None


class IngestState:
    """The ingest state store. ``IngestState(":memory:")`` for tests."""

    def __init__(self, path: Path | str) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # feeds -----------------------------------------------------------------
    def feed(self, url: str) -> FeedState | None:
        row = self._db.execute(
            "SELECT etag, last_modified, interval_s, next_poll, failures, parked, last_error"
            " FROM feed WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        etag, modified, interval, next_poll, failures, parked, error = row
        return FeedState(
            schedule=FeedSchedule(interval, next_poll, failures, bool(parked)),
            validators=Validators(etag, modified),
            last_error=error,
        )

    def save_feed(self, url: str, state: FeedState) -> None:
        s, v = state.schedule, state.validators
        self._db.execute(
            "INSERT INTO feed (url, etag, last_modified, interval_s, next_poll, failures,"
            " parked, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
            " last_modified = excluded.last_modified, interval_s = excluded.interval_s,"
            " next_poll = excluded.next_poll, failures = excluded.failures,"
            " parked = excluded.parked, last_error = excluded.last_error",
            (url, v.etag, v.last_modified, s.interval_s, s.next_poll, s.failures,
             int(s.parked), state.last_error),
        )  # fmt: skip

    def parked_count(self, urls: list[str] | None = None) -> int:
        if urls is None:
            row = self._db.execute("SELECT count(*) FROM feed WHERE parked = 1").fetchone()
            return int(row[0])
        return sum(1 for url in urls if (f := self.feed(url)) and f.schedule.parked)

    # seen ids --------------------------------------------------------------
    def is_seen(self, article_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM seen WHERE id = ?", (article_id,)).fetchone()
        return row is not None

    def mark_seen(self, article_id: str, feed: str, now: float) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO seen (id, feed, seen_at) VALUES (?, ?, ?)",
            (article_id, feed, now),
        )

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen").fetchone()[0])

    # near-duplicate signatures ---------------------------------------------
    def add_sketch(self, article_id: str, hashes: bytes, now: float) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sketch (id, seen_at, hashes) VALUES (?, ?, ?)",
            (article_id, now, hashes),
        )

    def recent_sketches(self, limit: int) -> Iterator[tuple[str, bytes]]:
        """The ``limit`` most recent signatures, oldest first."""
        rows = self._db.execute(
            "SELECT id, hashes FROM (SELECT id, hashes, seen_at FROM sketch"
            " ORDER BY seen_at DESC LIMIT ?) ORDER BY seen_at",
            (limit,),
        )
        for article_id, hashes in rows:
            yield str(article_id), bytes(hashes)

    def prune_sketches(self, keep: int) -> None:
        self._db.execute(
            "DELETE FROM sketch WHERE id NOT IN"
            " (SELECT id FROM sketch ORDER BY seen_at DESC LIMIT ?)",
            (keep,),
        )
