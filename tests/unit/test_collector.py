"""The workers' garbage-collector policy (``shared.collector``): survivors of a full
collection are frozen, every Nth full collection scans everything again, and the pauses
are exported as a histogram."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from prometheus_client.core import REGISTRY

from shared import collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def restore(hook: collector.FreezeAfterFullCollection, thresholds: tuple[int, int, int]) -> None:
    """Undo ``install`` so the rest of the suite runs with Python's own collector."""
    gc.callbacks.remove(hook)
    REGISTRY.unregister(hook)
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.fixture
def installed() -> Iterator[collector.FreezeAfterFullCollection]:
    thresholds = gc.get_threshold()
    hook = collector.install(thaw_every=3)
    try:
        yield hook
    finally:
        restore(hook, thresholds)


def full_pauses() -> float:
    value = REGISTRY.get_sample_value("wirewatch_gc_pause_seconds_count", {"generation": "2"})
    assert value is not None
    return value


def test_survivors_of_a_full_collection_are_frozen(
    installed: collector.FreezeAfterFullCollection,
) -> None:
    before = full_pauses()
    kept = [Node() for _ in range(1000)]
    gc.collect()
    assert installed.full == 1
    assert gc.get_freeze_count() >= len(kept)
    assert full_pauses() == before + 1
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD


def test_a_frozen_garbage_cycle_is_freed_by_the_thawing_collection(
    installed: collector.FreezeAfterFullCollection,
) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
    alive = weakref.ref(a)
    gc.collect()  # full collection 1: the cycle is reachable, so it is frozen
    del a, b
    gc.collect()  # 2: frozen, not scanned: the garbage cycle stays
    assert alive() is not None
    gc.collect()  # 3 (thaw_every=3): unfreezes first, scans everything
    assert alive() is None


def test_install_twice_keeps_one_hook() -> None:
    thresholds = gc.get_threshold()
    first = collector.install()
    second = collector.install()
    try:
        hooks = [h for h in gc.callbacks if isinstance(h, collector.FreezeAfterFullCollection)]
        assert hooks == [second]
        assert first is not second
    finally:
        restore(second, thresholds)
