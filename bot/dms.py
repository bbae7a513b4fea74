"""Direct messages sent in the background, paced under Discord's limits.

Telling 500 followers must not hold up the host's `/space start`, and a member who refuses DMs must not stall
the others: messages go through one owned queue, each failure is logged and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import discord

__all__ = ["DmSender"]

log = logging.getLogger(__name__)


class DmSender:
    def __init__(self, client: discord.Client, pace: float = 0.05) -> None:
        self._client = client
        self._pace = pace  # seconds between two DMs; discord.py also honours 429s by itself
        self._queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.refused = 0

    def send_many(self, user_ids: Iterable[int], text: str) -> None:
        for user_id in user_ids:
            self._queue.put_nowait((user_id, text))

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
            user_id, text = await self._queue.get()
            try:
                user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
                await user.send(text, allowed_mentions=discord.AllowedMentions.none())
                self.sent += 1
            except discord.HTTPException as exc:
                self.refused += 1
                log.info("DM to %s not delivered: %s", user_id, exc)
            finally:
                self._queue.task_done()
            await asyncio.sleep(self._pace)
