"""Posting each ended Space's recap as a reply to its card in the Stage's chat, once, across restarts.

At the end (`ended`, a bus handler): the recap is owed in the database, with the web listeners' peak read from
the Space's audio room before it closes; then, as an owned task, the live captions are given a bounded time to
store the Space's last phrases (`finish`), the recap is built from the stored phrases and posted.

After a restart (`resume`, once the client is ready): each recap still owed is looked for in the channel first
(a reply of ours to the card: the post went out but the crash came before it was marked), and posted only if it
is not there. So a restart between the end and the post neither loses the recap nor posts it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import discord

from bot.recap.render import recap_embed
from spaces_core.bus import MessageBus
from spaces_core.domain import events as ev
from spaces_core.domain.recording import has_replay
from spaces_core.domain.space import Space
from spaces_core.services.recaps import RecapService

__all__ = ["FINISH_WAIT", "CardRefs", "Finish", "RecapPoster"]

log = logging.getLogger(__name__)

Finish = Callable[[str], Awaitable[None]]
CardRefs = Callable[[str], Awaitable[list[tuple[int, int]]]]
WebPeak = Callable[[str], int]
# The captions' last phrase is transcribed within a few seconds of the end; a stuck pipeline must not hold the
# recap for longer than members would wait for it.
FINISH_WAIT = 20.0
HISTORY_LOOKED_AT = 50  # messages after the card searched for a recap posted before a restart


class RecapPoster:
    def __init__(
        self,
        client: discord.Client,
        recaps: RecapService,
        cards: CardRefs,
        web_peak: WebPeak,
        *,
        finish: Finish,
        finish_wait: float = FINISH_WAIT,
    ) -> None:
        self._client, self._recaps, self._cards, self._web_peak = client, recaps, cards, web_peak
        # The captions' flush of an ended Space and how long the recap waits for it (public: a test stands in a
        # captions pipeline of its own).
        self.finish, self.finish_wait = finish, finish_wait
        self._tasks: set[asyncio.Task[None]] = set()
        self._posting: set[str] = set()  # Spaces whose recap this process is on; `resume` leaves them alone

    def register(self, bus: MessageBus) -> None:
        bus.subscribe(ev.SpaceEnded, self.ended, name="recap owed, then posted")

    async def ended(self, space: Space, event: ev.SpaceEnded) -> None:
        web_peak = self._web_peak(space.id)  # now: the audio room closes in a later handler of this event
        if await self._recaps.owe(space.id, web_peak):
            self._posting.add(space.id)
            self._spawn(self._after_captions(space, web_peak), f"recap of {space.id}")

    async def resume(self) -> None:
        """Post the recaps a restart left owed (once the client is ready, so the channels can be read)."""
        for owed in await self._recaps.owed():
            if owed.space.id in self._posting or self._client.get_guild(owed.space.guild_id) is None:
                continue  # another shard's guild (its process posts it), or a server the bot has left
            self._posting.add(owed.space.id)
            self._spawn(self._post(owed.space, owed.web_peak, look_first=True), f"owed recap of {owed.space.id}")

    async def stop(self) -> None:
        tasks, self._tasks = set(self._tasks), set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_idle(self) -> None:
        """Until every recap this process is on has been posted (or has failed): a test's "nothing was posted"."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after_captions(self, space: Space, web_peak: int) -> None:
        try:
            async with asyncio.timeout(self.finish_wait):
                await self.finish(space.id)
        except TimeoutError:
            log.warning("captions of %s not done after %s s: the recap uses what is stored", space.id, self.finish_wait)
        except Exception:  # the captions' trouble must not cost the Space its recap
            log.exception("finishing the captions of %s failed: the recap uses what is stored", space.id)
        await self._post(space, web_peak, look_first=False)

    async def _post(self, space: Space, web_peak: int, *, look_first: bool) -> None:
        try:
            await self._post_once(space, web_peak, look_first=look_first)
        except Exception:  # owed still: the next start tries again (until GIVE_UP_AFTER)
            log.exception("could not post the recap of %s", space.id)
        finally:
            self._posting.discard(space.id)

    async def _post_once(self, space: Space, web_peak: int, *, look_first: bool) -> None:
        channel = self._client.get_partial_messageable(space.channel_id)
        card_id = next((m for c, m in await self._cards(space.id) if c == space.channel_id), None)
        if look_first and card_id is not None:
            found = await self._posted_before(channel, card_id)
            if found is not None:
                await self._recaps.posted(space.id, found)
                return
        embed = recap_embed(space, await self._recaps.recap(space, web_peak), replay=has_replay(space))
        if embed is None:  # nothing the ended card doesn't already say
            await self._recaps.not_needed(space.id)
            return
        message = await _send(channel, embed, card_id)
        await self._recaps.posted(space.id, message.id)

    async def _posted_before(self, channel: discord.PartialMessageable, card_id: int) -> int | None:
        me = self._client.user
        async for message in channel.history(after=discord.Object(card_id), limit=HISTORY_LOOKED_AT, oldest_first=True):
            reference = message.reference
            if me is not None and message.author.id == me.id and reference and reference.message_id == card_id:
                return message.id
        return None


async def _send(channel: discord.PartialMessageable, embed: discord.Embed, card_id: int | None) -> discord.Message:
    """A reply to the card (still posted if a member deleted the card meanwhile); the recap alone if there is no
    card, or if a reply is refused (replying takes Read Message History, which a server may have withheld)."""
    no_mentions = discord.AllowedMentions.none()
    if card_id is not None:
        card = discord.MessageReference(message_id=card_id, channel_id=channel.id, fail_if_not_exists=False)
        try:
            return await channel.send(embed=embed, reference=card, allowed_mentions=no_mentions)
        except discord.Forbidden as exc:
            log.warning("recap not posted as a reply to card %s (%s): posted alone", card_id, exc)
    return await channel.send(embed=embed, allowed_mentions=no_mentions)
