"""Keeping Space cards and the "Live now" board current without tripping Discord's rate limits.

A burst of joins must not become a burst of edits: changes only mark a card dirty, and one owned background
task renders the newest state at most once per card every `interval` seconds. Counts are never lost: the
render always reads the latest snapshot, so the last edit of a burst shows the final numbers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Hashable

import discord

from bot.coalescer import Coalescer
from bot.spaces.embeds import board_embed, card_embed, summary_embed
from bot.spaces.views import card_view
from spaces_core.domain.rules import GuildPolicy
from spaces_core.domain.space import Space, SpaceSummary
from spaces_core.domain.tickets import TicketOffer

__all__ = ["CardUpdater", "LiveBoard"]

log = logging.getLogger(__name__)
EDIT_HISTORY = 64
CardRefs = Callable[[str], Awaitable[list[tuple[int, int]]]]
OfferOf = Callable[[Space], Awaitable[TicketOffer | None]]


class CardUpdater:
    def __init__(
        self,
        client: discord.Client,
        card_refs: CardRefs,
        interval: float,
        offer_of: OfferOf | None = None,
        *,
        captions_delayed: Callable[[str], bool] = lambda space_id: False,
    ) -> None:
        self._client = client
        self._card_refs = card_refs
        self._offer_of = offer_of  # a ticketed Space's card shows its price, seats left and Buy ticket
        self._captions_delayed = captions_delayed  # the card says when live captions fall behind
        self._latest: dict[str, Space] = {}
        self._coalescer = Coalescer(self._flush, interval)
        # A live edit already on its way when the Space ends must not land after the summary: `finish` waits
        # for it, and a flush that starts after `finish` finds nothing to render.
        self._editing = asyncio.Lock()
        # When each card message was last edited (bounded), read by the benchmark to check the pacing.
        self.edit_times: dict[int, deque[float]] = defaultdict(lambda: deque(maxlen=EDIT_HISTORY))

    def start(self) -> None:
        self._coalescer.start()

    async def stop(self) -> None:
        await self._coalescer.stop()

    def mark(self, space: Space) -> None:
        if not space.is_live:
            return  # an ended Space's card is final: its summary
        self._latest[space.id] = space
        self._coalescer.mark(space.id)

    async def _offer(self, space: Space) -> TicketOffer | None:
        return await self._offer_of(space) if self._offer_of is not None else None

    async def post(self, space: Space, channel_id: int) -> int:
        channel = self._client.get_partial_messageable(channel_id)
        offer = await self._offer(space)
        message = await channel.send(
            embed=card_embed(space, offer),
            view=card_view(space, offer),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return message.id

    async def _flush(self, key: Hashable) -> None:
        async with self._editing:
            await self._edit_live(str(key))

    async def _edit_live(self, space_id: str) -> None:
        space = self._latest.get(space_id)
        if space is None:
            return
        offer = await self._offer(space)
        for channel_id, message_id in await self._card_refs(space.id):
            message = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
            embed = card_embed(space, offer, captions_delayed=self._captions_delayed(space.id))
            await message.edit(embed=embed, view=card_view(space, offer))
            self.edit_times[message_id].append(time.monotonic())

    async def finish(self, space: Space, summary: SpaceSummary) -> None:
        """Turn every card of an ended Space into its summary, at once and without buttons."""
        self._latest.pop(space.id, None)
        self._coalescer.forget(space.id)
        async with self._editing:
            await self._edit_summary(space, summary)

    async def _edit_summary(self, space: Space, summary: SpaceSummary) -> None:
        for channel_id, message_id in await self._card_refs(space.id):
            self.edit_times.pop(message_id, None)
            message = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
            try:
                await message.edit(embed=summary_embed(space, summary), view=None)
            except discord.HTTPException as exc:
                log.warning("could not turn card %s into a summary: %s", message_id, exc)


LiveSpaces = Callable[[int], Awaitable[list[Space]]]
PolicyOf = Callable[[int], Awaitable[GuildPolicy]]
RecordBoard = Callable[[int, int], Awaitable[None]]


class LiveBoard:
    """One message at the top of the feed channel (pinned), edited to list the live Spaces, busiest first."""

    def __init__(
        self, client: discord.Client, live: LiveSpaces, policy: PolicyOf, record: RecordBoard, interval: float
    ) -> None:
        self._client, self._live, self._policy, self._record = client, live, policy, record
        self._coalescer = Coalescer(self._flush, interval)

    def start(self) -> None:
        self._coalescer.start()

    async def stop(self) -> None:
        await self._coalescer.stop()

    def mark(self, guild_id: int) -> None:
        self._coalescer.mark(guild_id)

    async def _flush(self, key: Hashable) -> None:
        guild_id = int(str(key))
        policy = await self._policy(guild_id)
        if policy.feed_channel_id is None:
            return
        embed = board_embed(await self._live(guild_id))
        channel = self._client.get_partial_messageable(policy.feed_channel_id)
        if policy.live_board_message_id is not None:
            try:
                await channel.get_partial_message(policy.live_board_message_id).edit(embed=embed)
                return
            except discord.NotFound:
                pass  # deleted by someone: post a new one below
        message = await channel.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
        await self._record(guild_id, message.id)
        try:
            await message.pin(reason="Spaces live board")
        except discord.HTTPException as exc:
            log.info("live board not pinned (%s); it still updates in place", exc)
