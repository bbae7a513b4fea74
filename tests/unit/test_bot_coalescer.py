"""The redraw coalescer's task ends when stopped, even in the instant new work has just woken it (a card marked
dirty right before shutdown). With `asyncio.wait_for` as its pause, Python 3.11 swallowed that cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from bot.coalescer import Coalescer


async def test_stop_ends_the_task_woken_at_that_very_moment():
    flushed: list[Hashable] = []

    async def flush(key: Hashable) -> None:
        flushed.append(key)

    coalescer = Coalescer(flush, interval=60)
    coalescer.start()
    coalescer.mark("card")
    while flushed != ["card"]:
        await asyncio.sleep(0)
    coalescer.mark("card")  # again within the interval: the task now pauses until it may redraw it
    for _ in range(5):
        await asyncio.sleep(0)
    coalescer.mark("other card")  # wakes the paused task...
    stopping = asyncio.ensure_future(coalescer.stop())  # ...and the bot shuts down in the same instant
    # Not `asyncio.timeout`: its cancel would reach the task through `stop()` and end it, hiding the hang.
    done, _ = await asyncio.wait({stopping}, timeout=10)
    if not done:
        stopping.cancel()
        pytest.fail("Coalescer.stop() never ended its task (the cancel was swallowed)")
