"""Which live Space of a server has which of the bot's voice connections, and so its audio features.

Discord gives a bot one voice connection per server. Of the live Spaces on a server's Stages, one has the bot's own
(its audio is received: web listeners, recording, captions); with audio workers (bot/audio/workers.py, extra bot
accounts that are members of the server) as many more as there are free workers. The others go without until a
connection is freed; a Space is never silently robbed of its connection by a later one, nor moved to another.
The rule keeps no state of its own beyond the open rooms (each knows its connection), so a restart gives the bot's
own connection back to the same Space: a waiting Space, the earliest started first, takes the bot's connection
if it is free, else a free worker (bot.audio.workers.next_seat). When a Space ends, its connection goes to the
next one by that rule and its host is told in its Stage's chat.

Spaces on voice channels (servers without Community) never get one: Discord encrypts voice channels' audio end to
end (DAVE), which the bot's receiver does not decode (bot/audio/voice_receive.py), so their links would play silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

import discord

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.audio.stage import StageAdapter
from bot.audio.workers import MAIN, WorkerPool, next_seat
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
        workers: WorkerPool | None = None,
    ) -> None:
        self._rooms, self._stage = rooms, stage
        self._workers = workers if workers is not None else WorkerPool()
        self._live_in_guild, self._get_space, self._tell = live_in_guild, get_space, tell
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)  # one seating at a time per server

    @property
    def workers(self) -> WorkerPool:
        return self._workers

    def why_off(self, space: Space) -> str | None:
        """Why this live Space has no audio features, in the member's terms; None when it has them (or may soon:
        a Space just started has no room until its Stage is joined, and a connection is free for it)."""
        channel = self._stage.channel(space)
        if channel is None or self._rooms.get(space.id) is not None:
            return None
        if not isinstance(channel, discord.StageChannel):
            return ON_VOICE_CHANNEL
        holder = self._rooms.holder(space.guild_id)
        if holder is None or self._free_workers(space.guild_id):
            return None
        return _all_taken(holder, self._rooms.in_guild(space.guild_id), self._workers.invites_for(space.guild_id))

    async def started(self, space: Space) -> None:
        await self.settle(space.guild_id)

    async def ended(self, space: Space) -> None:
        """Close the ended Space's audio (joining its recording) and hand its connection to the next Space."""
        room = self._rooms.get(space.id)
        await self._rooms.close(space.id)
        worker = self._workers.get(room.connection) if room is not None and room.connection != MAIN else None
        if worker is not None:
            await worker.leave(space.guild_id)  # back in the pool
        await self._tell_seated(await self.settle(space.guild_id), f"**{space.title}** has ended")

    async def worker_available(self, guild_id: int) -> None:
        """An admin added an audio worker to this server: seat who waits, and tell them."""
        await self._tell_seated(await self.settle(guild_id), "an audio worker was added to this server")

    async def worker_left(self, worker_id: int, guild_id: int, channel_id: int) -> None:
        """A worker is out of a Stage it was receiving (a moderator disconnected it, or it was removed from the
        server): that Space's room closes (its recording part too) and the Space waits again like any other, so it
        gets a connection back if one is free (the same worker, if it is still in the server), or its host is
        told why it has none. A worker leaving a Space that ended, or moving to its next one, finds no room."""
        rooms = self._rooms.in_guild(guild_id)
        room = next((r for r in rooms if (r.connection, r.space.channel_id) == (worker_id, channel_id)), None)
        if room is None:
            return
        log.warning("the audio worker of Space %s left its Stage %s", room.space.id, channel_id)
        await self._rooms.close(room.space.id)
        if room.space.id in {space.id for space in await self.settle(guild_id)}:
            return
        space = room.space
        why = self.why_off(space) or f"{AUDIO_FEATURES.capitalize()} are off for now."
        await self._tell(space, f"<@{space.host_id}>, the audio worker receiving this Space left its Stage. {why}")

    async def _tell_seated(self, seated: list[Space], because: str) -> None:
        for space in seated:
            await self._tell(
                space,
                f"<@{space.host_id}>, {because}, so this Space now has the server's audio: "
                f"{AUDIO_FEATURES} work here from now on (`/space share`, `/space record on`).",
            )

    async def settle(self, guild_id: int) -> list[Space]:
        """Give each waiting Space of the server the connection the rule names, while one is free; the Spaces
        seated now. A Space that ends while joining, or a worker that cannot join, is passed over."""
        async with self._locks[guild_id]:
            tried: set[str] = set()
            failed: set[int] = set()  # workers that could not join in this pass
            seated: list[Space] = []
            while True:
                live = {s.id: s for s in await self._live_in_guild(guild_id) if s.id not in tried and self._heard(s)}
                waiting = [(s.id, s.started_at or s.created_at) for s in live.values() if self._rooms.get(s.id) is None]
                free = [w for w in self._free_workers(guild_id) if w not in failed]
                seat = next_seat(waiting, main_free=self._rooms.holder(guild_id) is None, free_workers=free)
                if seat is None:
                    return seated
                tried.add(seat.space_id)
                outcome = await self._seat(live[seat.space_id], seat.connection)
                if outcome is None:
                    failed.add(seat.connection)
                    tried.discard(seat.space_id)  # the Space may still have another worker
                elif outcome:
                    seated.append(live[seat.space_id])

    def _free_workers(self, guild_id: int) -> list[int]:
        busy = {room.connection for room in self._rooms.in_guild(guild_id)}
        return self._workers.free_in(guild_id, busy)

    def _heard(self, space: Space) -> bool:
        return space.is_live and isinstance(self._stage.channel(space), discord.StageChannel)

    async def _seat(self, space: Space, connection: int) -> bool | None:
        """Join the Space's Stage on that connection and receive it; record if recording is on. False if it ended
        meanwhile; None if a worker could not join (its room is closed again).

        The room is registered before anything is awaited on it, so every commit from then on reaches it through
        the bus; the Space is read again afterwards, so a change committed in between is not missed.
        """
        room = self._rooms.open(space, connection)
        worker = self._workers.get(connection) if connection != MAIN else None
        if worker is None:
            await self._stage.listen(space, room.receiver)
        elif not await worker.listen(space.guild_id, space.channel_id, room.receiver):
            await self._rooms.close(space.id)
            return None
        try:
            space = await self._get_space(space.id)
        except NotFound:
            space = room.space
        self._rooms.update(space)
        if not space.is_live:  # ended while the bot was joining: its end found no room to close
            await self._rooms.close(space.id)  # joins what was recorded into the replay
            if worker is not None:
                await worker.leave(space.guild_id)
            else:
                await self._stage.close(space)
            return False
        await self._rooms.follow_recording(space)
        log.info("Space %s has connection %s (0: the bot's own) of server %s", space.id, connection, space.guild_id)
        return True


def _all_taken(holder: SpaceAudio, rooms: list[SpaceAudio], invites: list[str]) -> str:
    """Why a Space waits: every voice connection of the bot on its server receives another Space."""
    other = holder.space
    if len(rooms) == 1:
        text = (
            f"Another Space (**{other.title}**, on <#{other.channel_id}>) is using this server's audio: "
            f"{AUDIO_FEATURES} are off for this Space until it ends."
        )
    else:
        titles = ", ".join(f"**{room.space.title}**" for room in rooms)
        text = (
            f"No free voice connection on this server: the bot and its audio workers are receiving {titles}. "
            f"{AUDIO_FEATURES.capitalize()} are off for this Space until one of them ends."
        )
    if invites:
        links = " ".join(f"<{url}>" for url in invites)
        text += f" A server admin can add an audio worker to hear one more Space at once: {links}"
    return text
