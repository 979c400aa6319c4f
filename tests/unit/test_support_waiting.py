"""tests.support.waiting.wait_for: it returns once the condition holds, names what it
waited for when it gives up, and takes the errors it is told to as "not yet"."""

from __future__ import annotations

import pytest

from tests.support.waiting import wait_for


async def test_returns_once_the_condition_holds() -> None:
    calls: list[int] = []

    def third_time() -> bool:
        calls.append(1)
        return len(calls) >= 3

    assert await wait_for(third_time, 5, "the third call", every=0.01) < 5
    assert len(calls) == 3


async def test_awaits_an_async_condition_and_polls_in_a_thread() -> None:
    async def ready() -> bool:
        return True

    assert await wait_for(ready, 1, "ready") >= 0
    assert await wait_for(lambda: True, 1, "ready", in_thread=True) >= 0


async def test_times_out_naming_what_it_waited_for() -> None:
    state = {"seen": 0}
    with pytest.raises(TimeoutError, match=r"timed out after 0.05s waiting for 2 seen, got 0"):
        await wait_for(
            lambda: state["seen"] >= 2, 0.05, lambda: f"2 seen, got {state['seen']}", every=0.01
        )


async def test_ignored_errors_mean_not_yet_others_propagate() -> None:
    calls: list[int] = []

    def refused_then_up() -> bool:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError
        return True

    await wait_for(refused_then_up, 5, "up", every=0.01, ignoring=(OSError,))
    with pytest.raises(ZeroDivisionError):
        await wait_for(lambda: 1 / 0 > 0, 5, "never", ignoring=(OSError,))
