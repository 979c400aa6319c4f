"""Waiting for something asynchronous: poll the very condition a test asserts, with a
deadline, never ``sleep`` and hope."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Condition = Callable[[], bool | Awaitable[bool]]


async def wait_for(
    cond: Condition,
    timeout: float,
    what: str | Callable[[], str],
    *,
    every: float = 0.1,
    in_thread: bool = False,
    ignoring: tuple[type[BaseException], ...] = (),
) -> float:
    """Poll ``cond`` every ``every`` seconds until it holds; return the seconds it took.

    ``cond`` returns a bool or an awaitable of one. ``in_thread``: call it in a worker
    thread (it blocks, e.g. on HTTP to a server running on this event loop).
    ``ignoring``: exceptions that mean "not yet" (a service that does not answer yet).
    After ``timeout`` seconds, ``TimeoutError`` names ``what`` (a callable is called
    then, so the message can show the state at the deadline)."""
    t0 = time.monotonic()
    while True:
        try:
            ok = await asyncio.to_thread(cond) if in_thread else cond()
            if not isinstance(ok, bool):
                ok = await ok
        except ignoring:
            ok = False
        if ok:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            said = what() if callable(what) else what
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {said}")
        await asyncio.sleep(every)
