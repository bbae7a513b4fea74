"""The Stage (or voice channel) side of a Space: instance, who may talk, mutes, disconnects, keep-alive.

On a Stage channel, speaking is Discord's "suppress" flag on a voice state. Servers without Community features
have no Stage channels: there a Space runs on an ordinary voice channel and the bot server-mutes listeners and
unmutes speakers instead. Every method takes ids and looks members up itself, so callers need no cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

import discord

from bot.audio.voice_receive import ReceivingVoiceClient, VoiceReceiver
from bot.members import member_of
from spaces_core.domain.space import Space

__all__ = ["StageAdapter"]

log = logging.getLogger(__name__)
STAGE_TOPIC_LIMIT = 120


class StageAdapter:
    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._listening: set[str] = set()  # Spaces whose audio the bot receives: it stays on their Stage
        # One leaving at a time per server: the end of a Space and a seating that finds it ended while joining (after
        # a restart) both release its Stage, and discord.py's second disconnect of one voice client would wait out
        # its whole timeout for the confirmation the first one already received, holding up `/space end`.
        self._leaving: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def channel(self, space: Space) -> discord.VoiceChannel | discord.StageChannel | None:
        channel = self._client.get_channel(space.channel_id)
        if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return channel
        return None

    async def _member(self, space: Space, user_id: int) -> discord.Member | None:
        guild = self._client.get_guild(space.guild_id)
        return await member_of(guild, user_id) if guild is not None else None

    async def _present(self, space: Space, user_id: int) -> discord.Member | None:
        member = await self._member(space, user_id)
        if member is None or member.voice is None or member.voice.channel is None:
            return None
        return member if member.voice.channel.id == space.channel_id else None

    async def open(self, space: Space) -> None:
        channel = self.channel(space)
        if isinstance(channel, discord.StageChannel) and channel.instance is None:
            await channel.create_instance(topic=space.title[:STAGE_TOPIC_LIMIT], reason=f"Space {space.id}")
        await self.make_speaker(space, space.host_id)

    async def close(self, space: Space) -> None:
        self._listening.discard(space.id)
        channel = self.channel(space)
        if isinstance(channel, discord.StageChannel):
            instance = channel.instance
            if instance is not None:
                with contextlib.suppress(discord.NotFound):  # already closed by someone else
                    await instance.delete(reason=f"Space {space.id} ended")
        elif channel is not None:
            # On a voice channel we muted the audience ourselves: give everyone their voice back.
            for member in channel.members:
                if member.voice is not None and member.voice.mute and not member.bot:
                    await member.edit(mute=False, reason="Space ended")
        await self.release(space)

    async def on_join(self, space: Space, user_id: int) -> None:
        if user_id == space.host_id or user_id in space.cohosts or user_id in space.speakers:
            await self.make_speaker(space, user_id)
        elif not isinstance(self.channel(space), discord.StageChannel):
            await self.make_listener(space, user_id)

    async def make_speaker(self, space: Space, user_id: int) -> None:
        member = await self._present(space, user_id)
        if member is None:
            return  # brought up when they join: on_join looks at their role
        if isinstance(self.channel(space), discord.StageChannel):
            await member.edit(suppress=False, reason="Space speaker")
        if user_id not in space.muted and member.voice is not None and member.voice.mute:
            await member.edit(mute=False, reason="Space speaker")

    async def make_listener(self, space: Space, user_id: int) -> None:
        member = await self._present(space, user_id)
        if member is None:
            return
        if isinstance(self.channel(space), discord.StageChannel):
            await member.edit(suppress=True, reason="Moved to the audience")
        else:
            await member.edit(mute=True, reason="Space listener")

    async def set_muted(self, space: Space, user_id: int, muted: bool) -> None:
        member = await self._present(space, user_id)
        if member is not None:
            await member.edit(mute=muted, reason="Muted by the host" if muted else "Unmuted by the host")

    async def disconnect(self, space: Space, user_id: int) -> None:
        member = await self._present(space, user_id)
        if member is not None:
            await member.move_to(None, reason="Removed from the Space")

    async def listen(self, space: Space, receiver: VoiceReceiver) -> None:
        """Join the Space's Stage as a silent listener (suppressed, self-muted) and receive its speakers."""
        channel = self.channel(space)
        if channel is None:
            return
        self._listening.add(space.id)
        voice = channel.guild.voice_client
        try:
            if voice is not None and getattr(voice.channel, "id", None) != channel.id:
                await voice.disconnect(force=True)
                voice = None
            if voice is None:
                voice = await channel.connect(cls=ReceivingVoiceClient, self_deaf=False, self_mute=True, timeout=10.0)
        except (TimeoutError, discord.ClientException, discord.HTTPException) as exc:
            log.warning("could not join Stage %s to receive its audio: %s", channel.id, exc)
            return
        if isinstance(voice, ReceivingVoiceClient):
            voice.listen(receiver)
        else:
            log.warning("Stage %s: joined by a voice client that cannot receive", channel.id)

    async def keep_alive(self, space: Space) -> None:
        """Discord closes a Stage with no speaker after a few minutes: stand on it, silent, during the grace."""
        channel = self.channel(space)
        if not isinstance(channel, discord.StageChannel):
            return
        voice = channel.guild.voice_client
        try:
            if voice is None:
                await channel.connect(self_deaf=True, timeout=10.0)
            elif getattr(voice.channel, "id", None) != channel.id:
                return
            await channel.guild.me.edit(suppress=False)
        except (TimeoutError, discord.ClientException, discord.HTTPException) as exc:
            log.warning("could not keep Stage %s alive: %s", channel.id, exc)

    async def release(self, space: Space) -> None:
        guild = self._client.get_guild(space.guild_id)
        if guild is None:
            return
        async with self._leaving[guild.id]:  # the second one in finds the bot gone (voice_client None)
            voice = guild.voice_client
            if voice is None or getattr(voice.channel, "id", None) != space.channel_id:
                return
            if space.id in self._listening:
                # Still receiving the Space's audio: step back down to the audience instead of leaving.
                with contextlib.suppress(discord.HTTPException):
                    await guild.me.edit(suppress=True)
                return
            await voice.disconnect(force=True)
