"""Audio workers: extra bot accounts that receive the audio of Spaces the bot's own connection cannot.

Discord gives a bot one voice connection per server, so one live Space per server has the bot's ears. Each
worker is another Discord application (``AUDIO_WORKER_TOKENS``) run in this process as a plain discord.py client
with only the guilds and voice-states intents and no commands. Lent a Space, a worker joins its Stage as a silent
listener (it enters suppressed, self-muted, and never asks to speak or plays anything) and hands what it receives
to that Space's mix, exactly as the bot's own receiver does. A worker in several servers can serve one Space in
each: the limit is Discord's, per bot and per server.

Which Space has which connection is decided by ``ServerAudio`` (bot/audio/server_audio.py) from the open rooms;
this module only keeps the workers, says which of them are free in a server, and picks the next seat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aiohttp
import discord

from bot.audio.voice_receive import ReceivingVoiceClient, VoiceReceiver

__all__ = ["MAIN", "AudioWorker", "Seat", "WorkerEvents", "WorkerPool", "invite_url", "next_seat", "worker_intents"]

log = logging.getLogger(__name__)
MAIN = 0  # the connection of the bot's own account, as opposed to a worker's (by its user id)
JOIN_TIMEOUT = 10.0


class WorkerEvents(Protocol):
    """What the pool's owner hears from the workers."""

    async def available(self, guild_ids: list[int], joined: bool) -> None:
        """A worker can serve these servers: it connected (``joined`` False) or was just added to one (True)."""

    async def left_stage(self, worker_id: int, guild_id: int, channel_id: int) -> None:
        """A worker is out of this Stage: it left it, or a moderator or Discord took it out."""


# What a worker needs on a server: to see the Stages and connect to them. Nothing else, not even Speak.
WORKER_PERMISSIONS = discord.Permissions(view_channel=True, connect=True)


def worker_intents() -> discord.Intents:
    return discord.Intents(guilds=True, voice_states=True)


def invite_url(application_id: int) -> str:
    """The link a server admin opens to add a worker: the bot scope with View Channel and Connect only."""
    return discord.utils.oauth_url(application_id, permissions=WORKER_PERMISSIONS, scopes=("bot",))


@dataclass(frozen=True, slots=True)
class Seat:
    """A waiting Space and the connection it gets: ``MAIN`` or a worker's user id."""

    space_id: str
    connection: int


def next_seat(waiting: Sequence[tuple[str, datetime]], *, main_free: bool, free_workers: Sequence[int]) -> Seat | None:
    """The rule: the earliest started waiting Space (by start, then id) takes the bot's own connection when it is
    free, else the first free worker (in the order of AUDIO_WORKER_TOKENS); None when either side is empty.

    ``waiting`` holds (Space id, started) of the live Spaces on Stages that have no connection yet. Spaces that
    have one keep it: a later Space never takes a connection from an earlier one, nor is one moved between them.
    """
    if not waiting:
        return None
    space_id = min(waiting, key=lambda item: (item[1], item[0]))[0]
    if main_free:
        return Seat(space_id, MAIN)
    if free_workers:
        return Seat(space_id, free_workers[0])
    return None


class _WorkerClient(discord.Client):
    def __init__(self, worker: AudioWorker, **options: Any) -> None:
        super().__init__(intents=worker_intents(), **options)
        self._worker = worker

    async def on_ready(self) -> None:
        await self._worker.available([guild.id for guild in self.guilds], joined=False)

    async def on_guild_join(self, guild: discord.Guild) -> None:  # a server admin just added it
        await self._worker.available([guild.id], joined=True)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        left = before.channel is not None and (after.channel is None or after.channel.id != before.channel.id)
        if self.user is not None and member.id == self.user.id and left and before.channel is not None:
            await self._worker.left_stage(member.guild.id, before.channel.id)


class AudioWorker:
    """One worker account: its client, and the servers in which its one voice connection is lent to a Space."""

    def __init__(
        self,
        index: int,
        token: str,
        connector: aiohttp.BaseConnector | None,
        events: WorkerEvents,
    ) -> None:
        self.index = index  # its place in AUDIO_WORKER_TOKENS, 1-based, for the logs (never the token)
        self._token = token
        self._events = events
        self.client = _WorkerClient(self, connector=connector)

    @property
    def user_id(self) -> int | None:
        return self.client.user.id if self.client.user is not None else None

    def in_guild(self, guild_id: int) -> bool:
        return self.client.is_ready() and self.client.get_guild(guild_id) is not None

    async def available(self, guild_ids: list[int], *, joined: bool) -> None:
        await self._events.available(guild_ids, joined)

    async def left_stage(self, guild_id: int, channel_id: int) -> None:
        if self.user_id is not None:
            await self._events.left_stage(self.user_id, guild_id, channel_id)

    async def run(self) -> None:
        """Log in and stay connected until closed. A token Discord refuses leaves this worker out, said once."""
        try:
            await self.client.start(self._token)
        except discord.LoginFailure:
            log.error("audio worker %s of AUDIO_WORKER_TOKENS: Discord refused its token; left out", self.index)
        except discord.ConnectionClosed as exc:
            log.error("audio worker %s was disconnected by Discord (close code %s): left out", self.index, exc.code)

    async def listen(self, guild_id: int, channel_id: int, receiver: VoiceReceiver) -> bool:
        """Join the Stage in the audience, self-muted, and receive it; False when it cannot."""
        channel = self.client.get_channel(channel_id)
        if not isinstance(channel, discord.StageChannel):
            return False
        await self.leave(guild_id)  # a connection left over elsewhere in this server: Discord would move it anyway
        try:
            voice = await channel.connect(
                cls=ReceivingVoiceClient, self_deaf=False, self_mute=True, timeout=JOIN_TIMEOUT
            )
        except (TimeoutError, discord.ClientException, discord.HTTPException) as exc:
            log.warning("audio worker %s could not join Stage %s: %s", self.index, channel_id, exc)
            return False
        voice.listen(receiver)
        return True

    async def leave(self, guild_id: int) -> None:
        guild = self.client.get_guild(guild_id)
        voice = guild.voice_client if guild is not None else None
        if voice is not None:
            await voice.disconnect(force=True)

    async def close(self) -> None:
        await self.client.close()


class WorkerPool:
    """The workers, started with the bot and closed with it. Each runs as a task this pool owns and awaits.

    ``connector`` makes each worker's aiohttp connector (one per client: a client closes its own). Who hears the
    workers' events is bound afterwards (``bind``): it needs the Spaces' audio, which needs this pool."""

    def __init__(
        self, tokens: Sequence[str] = (), connector: Callable[[], aiohttp.BaseConnector | None] = lambda: None
    ) -> None:
        self.workers = [AudioWorker(i, token, connector(), self) for i, token in enumerate(tokens, 1)]
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: WorkerEvents | None = None

    def bind(self, listener: WorkerEvents) -> None:
        self._listener = listener

    async def available(self, guild_ids: list[int], joined: bool) -> None:
        if self._listener is not None:
            await self._listener.available(guild_ids, joined)

    async def left_stage(self, worker_id: int, guild_id: int, channel_id: int) -> None:
        if self._listener is not None:
            await self._listener.left_stage(worker_id, guild_id, channel_id)

    def __len__(self) -> int:
        return len(self.workers)

    def start(self) -> None:
        for worker in self.workers:
            self._tasks.append(asyncio.create_task(worker.run(), name=f"audio-worker-{worker.index}"))

    async def stop(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(Exception):  # one worker's trouble must not keep the others connected
                await worker.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def get(self, user_id: int) -> AudioWorker | None:
        return next((w for w in self.workers if w.user_id == user_id), None)

    def free_in(self, guild_id: int, busy: Collection[int]) -> list[int]:
        """User ids of the workers that are members of this server and whose connection there is not lent."""
        return [
            w.user_id for w in self.workers if w.user_id is not None and w.user_id not in busy and w.in_guild(guild_id)
        ]

    def members_of(self, guild_id: int) -> int:
        return sum(1 for worker in self.workers if worker.in_guild(guild_id))

    def invites_for(self, guild_id: int) -> list[str]:
        """Invite links of the connected workers that are not members of this server yet."""
        return [
            invite_url(w.client.application_id)
            for w in self.workers
            if w.client.is_ready() and w.client.application_id is not None and not w.in_guild(guild_id)
        ]
