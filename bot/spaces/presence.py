"""Gateway events that enter the services: members joining and leaving Stages, Discord's own raised hands,
and reconciliation with the voice states Discord reports after a (re)start."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import discord
from discord.ext import commands

from bot.context import app_of
from spaces_core.domain.errors import SpacesError

__all__ = ["PresenceCog"]

log = logging.getLogger(__name__)


class PresenceCog(commands.Cog):
    def __init__(self, client: discord.Client) -> None:
        self.client = client
        # discord.py runs each event in its own task: without this, a member's "raised hand" could be handled
        # before their "joined" and be lost. asyncio.Lock is FIFO, and nothing awaits before taking it.
        self._order: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        await self.reconcile_all()

    async def reconcile_all(self) -> None:
        app = app_of(self.client)
        for space in await app.spaces.all_live():
            channel = self.client.get_channel(space.channel_id)
            if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
                continue
            present = {member.id for member in channel.members if not member.bot}
            try:
                await app.spaces.reconcile(space.guild_id, space.channel_id, present)
            except SpacesError as exc:
                log.warning("could not reconcile Space %s: %s", space.id, exc)

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot:
            return
        async with self._order[member.guild.id]:
            await self._apply(member, before, after)

    async def _apply(self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState) -> None:
        spaces = app_of(self.client).spaces
        guild_id = member.guild.id
        try:
            if before.channel != after.channel:
                if before.channel is not None:
                    await spaces.member_left(guild_id, before.channel.id, member.id)
                if after.channel is not None:
                    await spaces.member_joined(guild_id, after.channel.id, member.id)
            elif after.channel is not None and before.requested_to_speak_at != after.requested_to_speak_at:
                await self._hand(guild_id, after.channel.id, member.id, raised=after.requested_to_speak_at is not None)
        except SpacesError as exc:
            log.info("voice update for %s not applied: %s", member.id, exc.message)

    async def _hand(self, guild_id: int, channel_id: int, user_id: int, *, raised: bool) -> None:
        """Discord's raise-hand button mirrored into the Space's queue (and lowered hands out of it)."""
        spaces = app_of(self.client).spaces
        space = await spaces.live_in_channel(guild_id, channel_id)
        if space is None:
            return
        if raised and user_id not in space.queue:
            await spaces.request_to_speak(space.id, user_id)
        elif not raised and user_id in space.queue:
            await spaces.cancel_request(space.id, user_id)
