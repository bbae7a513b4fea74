"""Coalescing redraws: many changes to one thing become at most one redraw of it per interval.

Used by the live cards and board (bot.spaces.cards) and the ticket desk's card redraws (bot.tickets.desk); it knows
nothing of either, so it sits below both features.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable

import discord

__all__ = ["Coalescer"]

log = logging.getLogger(__name__)


class Coalescer:
    """Runs `flush(key)` for dirty keys, at most once per key every `interval` seconds."""

    def __init__(self, flush: Callable[[Hashable], Awaitable[None]], interval: float) -> None:
        self._flush, self._interval = flush, interval
        self._dirty: set[Hashable] = set()
        self._last: dict[Hashable, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def mark(self, key: Hashable) -> None:
        self._dirty.add(key)
        self._wake.set()

    def forget(self, key: Hashable) -> None:
        """Drop a key that will never change again (an ended Space), so a long-running bot holds nothing for it."""
        self._dirty.discard(key)
        self._last.pop(key, None)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="coalescer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            now = time.monotonic()
            waits: list[float] = []
            for key in list(self._dirty):
                due = self._last.get(key, float("-inf")) + self._interval
                if due <= now:
                    self._dirty.discard(key)
                    self._last[key] = now
                    await self._safe_flush(key)
                else:
                    waits.append(due - now)
            if waits:
                # Sleep until the earliest card may be edited again, unless new work wakes us first. Not
                # `asyncio.wait_for`: on Python 3.11 it swallows a cancel (`stop()`) arriving just as it is woken.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(waits)):
                        await self._wake.wait()
                self._wake.set()

    async def _safe_flush(self, key: Hashable) -> None:
        try:
            await self._flush(key)
        except discord.HTTPException as exc:
            log.warning("could not update %s: %s", key, exc)
        except Exception:
            log.exception("updating %s failed", key)
