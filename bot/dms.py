"""Direct messages sent in the background, paced under Discord's limits.

Telling 500 followers must not hold up the host's `/space start`, and a member who refuses DMs must not stall
the others: messages go through one owned queue, each failure is logged and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import discord

__all__ = ["DmSender", "OnRefused"]

log = logging.getLogger(__name__)
OnRefused = Callable[[list[int]], Awaitable[None]]


@dataclass(slots=True)
class _Batch:
    """One `send_many` call: once its last DM is tried, the members who refuse DMs are handed to `on_refused`
    together, so a fallback can be one message for all of them instead of one per member."""

    left: int
    on_refused: OnRefused | None
    refused: list[int] = field(default_factory=list)


class DmSender:
    def __init__(self, client: discord.Client, pace: float = 0.05) -> None:
        self._client = client
        self._pace = pace  # seconds between two DMs; discord.py also honours 429s by itself
        self._queue: asyncio.Queue[tuple[int, str, _Batch | None, discord.ui.View | None]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.refused = 0

    def send_many(self, user_ids: Iterable[int], text: str, *, on_refused: OnRefused | None = None) -> None:
        """Queue one DM each. `on_refused` gets, once, the members Discord would not let us DM (blocked DMs)."""
        ids = list(user_ids)
        batch = _Batch(len(ids), on_refused) if on_refused is not None else None
        for user_id in ids:
            self._queue.put_nowait((user_id, text, batch, None))

    def send(self, user_id: int, text: str, *, view: discord.ui.View | None = None) -> None:
        """Queue one DM, with buttons (`view`) when the member has something to answer (Keep / Refund...)."""
        self._queue.put_nowait((user_id, text, None, view))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dm-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def drain(self) -> None:
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            user_id, text, batch, view = await self._queue.get()
            try:
                user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
                if view is None:
                    await user.send(text, allowed_mentions=discord.AllowedMentions.none())
                else:
                    await user.send(text, view=view, allowed_mentions=discord.AllowedMentions.none())
                self.sent += 1
            except discord.HTTPException as exc:
                self.refused += 1
                log.info("DM to %s not delivered: %s", user_id, exc)
                if batch is not None and isinstance(exc, discord.Forbidden):
                    batch.refused.append(user_id)
            finally:
                await self._settle(batch)
                self._queue.task_done()
            await asyncio.sleep(self._pace)

    @staticmethod
    async def _settle(batch: _Batch | None) -> None:
        if batch is None:
            return
        batch.left -= 1
        if batch.left == 0 and batch.refused and batch.on_refused is not None:
            try:
                await batch.on_refused(batch.refused)
            except Exception:  # the fallback failing must not stop the DMs still queued
                log.exception("fallback for %d members who refuse DMs failed", len(batch.refused))
