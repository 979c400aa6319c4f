"""Hot reload: a changed file gives a new Matcher; a broken one keeps the old and logs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from services.tagger.watch import WatchlistReloader
from services.tagger.watchlist import WatchlistError

GOOD = "entities:\n  - {id: a, name: A, type: person, aliases: [Ann]}\n"
OTHER = "entities:\n  - {id: b, name: B, type: person, aliases: [Bob]}\n"


def write(path: Path, body: str, tick: int) -> None:
    path.write_text(body, encoding="utf-8")
    os.utime(path, ns=(tick * 10**9, tick * 10**9))  # distinct mtimes without sleeping


def test_reloads_on_change_and_keeps_old_when_invalid(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    write(path, GOOD, 1)
    reloader = WatchlistReloader(path)
    first = reloader.current()
    assert reloader.current() is first
    assert [m.entity for m in first.find_mentions("", "Ann")] == ["a"]

    write(path, OTHER, 2)
    second = reloader.current()
    assert second is not first
    assert [m.entity for m in second.find_mentions("", "Ann and Bob")] == ["b"]

    write(path, "entities: [", 3)
    with capture_logs() as logs:
        assert reloader.current() is second
        assert reloader.current() is second
    assert [e["event"] for e in logs] == ["watchlist_invalid"]  # once, not per batch
    assert str(path) in logs[0]["error"]

    write(path, GOOD, 4)
    assert reloader.current().version == first.version


def test_same_content_new_mtime_keeps_matcher(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    write(path, GOOD, 1)
    reloader = WatchlistReloader(path)
    first = reloader.current()
    write(path, GOOD, 2)
    assert reloader.current() is first


def test_first_load_must_work(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    write(path, "entities: 3", 1)
    with pytest.raises(WatchlistError, match=str(path)):
        WatchlistReloader(path)
    with pytest.raises(WatchlistError, match="cannot stat"):
        WatchlistReloader(tmp_path / "missing.yaml")
