"""Which live Space of a server has the bot's voice connection, and so its audio features.

Discord gives a bot one voice connection per server. Of the live Spaces on a server's Stages, one has it (its audio
is received: web listeners, recording) and the others go without until it ends; they are never silently robbed
of it by a later Space. The rule keeps no state of its own, so a restart gives the audio back to the same Space:
if no Space of the server has it, the earliest started live Space on a Stage gets it; one that has it keeps it.
When it ends, the next one by that rule gets it and its host is told in its Stage's chat.

Spaces on voice channels (servers without Community) never get it: Discord encrypts voice channels' audio end to
end (DAVE), which the bot's receiver does not decode (bot/audio/voice_receive.py), so their links would play silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

import discord

from bot.audio.rooms import AudioRooms
from bot.audio.stage import StageAdapter
from spaces_core.domain.errors import NotFound
from spaces_core.domain.space import Space

__all__ = ["AUDIO_FEATURES", "ServerAudio"]

log = logging.getLogger(__name__)
# What a Space without the audio goes without, as members read it.
AUDIO_FEATURES = "listening in a browser, recording and live captions"
ON_VOICE_CHANNEL = (
    "This Space runs on a voice channel, whose audio Discord encrypts end to end, so the bot cannot hear it: "
    f"{AUDIO_FEATURES} are unavailable here. They work on Stage channels (servers with Community turned on)."
)


class ServerAudio:
    def __init__(
        self,
        rooms: AudioRooms,
        stage: StageAdapter,
        *,
        live_in_guild: Callable[[int], Awaitable[list[Space]]],
        get_space: Callable[[str], Awaitable[Space]],
        tell: Callable[[Space, str], Awaitable[None]],
    ) -> None:
        self._rooms, self._stage = rooms, stage
        self._live_in_guild, self._get_space, self._tell = live_in_guild, get_space, tell
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)  # one seating at a time per server

    def why_off(self, space: Space) -> str | None:
        """Why this live Space has no audio features, in the member's terms; None when it has them (or may soon:
        a Space just started has no room until its Stage is joined, and nothing else holds the connection)."""
        channel = self._stage.channel(space)
        if channel is None or self._rooms.get(space.id) is not None:
            return None
        if not isinstance(channel, discord.StageChannel):
            return ON_VOICE_CHANNEL
        holder = self._rooms.holder(space.guild_id)
        if holder is None:
            return None
        other = holder.space
        return (
            f"Another Space (**{other.title}**, on <#{other.channel_id}>) is using this server's audio: "
            f"{AUDIO_FEATURES} are off for this Space until it ends."
        )

    async def started(self, space: Space) -> None:
        await self.settle(space.guild_id)

    async def ended(self, space: Space) -> None:
        """Close the ended Space's audio (joining its recording) and hand the connection to the next Space."""
        await self._rooms.close(space.id)
        seated = await self.settle(space.guild_id)
        if seated is not None:
            await self._tell(
                seated,
                f"<@{seated.host_id}>, **{space.title}** has ended, so this Space now has the server's audio: "
                f"{AUDIO_FEATURES} work here from now on (`/space share`, `/space record on`).",
            )

    async def settle(self, guild_id: int) -> Space | None:
        """Give the server's audio to the Space the rule names, if no Space has it; the Space seated now, if any."""
        async with self._locks[guild_id]:
            tried: set[str] = set()
            while self._rooms.holder(guild_id) is None:
                candidates = [s for s in await self._live_in_guild(guild_id) if s.id not in tried and self._heard(s)]
                if not candidates:
                    return None
                first = min(candidates, key=lambda s: (s.started_at or s.created_at, s.id))
                tried.add(first.id)
                if await self._seat(first):
                    return first
            return None

    def _heard(self, space: Space) -> bool:
        return space.is_live and isinstance(self._stage.channel(space), discord.StageChannel)

    async def _seat(self, space: Space) -> bool:
        """Join the Space's Stage and receive it; record if recording is on. False if it ended meanwhile.

        The room is registered before anything is awaited on it, so every commit from then on reaches it through
        the bus; the Space is read again afterwards, so a change committed in between is not missed.
        """
        room = self._rooms.open(space)
        await self._stage.listen(space, room.receiver)
        try:
            space = await self._get_space(space.id)
        except NotFound:
            space = room.space
        self._rooms.update(space)
        if not space.is_live:  # ended while the bot was joining: its end found no room to close
            await self._rooms.close(space.id)  # joins what was recorded into the replay
            await self._stage.close(space)
            return False
        await self._rooms.follow_recording(space)
        log.info("Space %s has the audio of server %s (recording %s)", space.id, space.guild_id, space.recording)
        return True
