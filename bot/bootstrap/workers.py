"""Audio workers' wiring: the pool built from AUDIO_WORKER_TOKENS, started and stopped with the bot, and the
waiting Spaces of a server seated as soon as a worker is available there (at start-up, after a restart, or when a
server admin adds one)."""

from __future__ import annotations

import logging
from functools import partial

from discord.ext import commands

from bot.audio.server_audio import ServerAudio
from bot.audio.workers import WorkerPool
from bot.discord_connector import build_connector
from bot.settings import Settings

__all__ = ["WorkersCog", "worker_pool"]

log = logging.getLogger(__name__)


def worker_pool(settings: Settings) -> WorkerPool:
    """Call it with a running event loop (each worker's connector binds to it)."""
    return WorkerPool(
        settings.audio_worker_tokens, partial(build_connector, settings.discord_endpoint, settings.discord_ca_file)
    )


class WorkersCog(commands.Cog):
    """Runs the pool for the bot's lifetime: started when the cog loads, closed when the bot closes."""

    def __init__(
        self, bot: commands.Bot | commands.AutoShardedBot, pool: WorkerPool, server_audio: ServerAudio
    ) -> None:
        self._bot, self._pool, self._server_audio = bot, pool, server_audio
        pool.bind(self)

    async def cog_load(self) -> None:
        self._pool.start()

    async def cog_unload(self) -> None:
        await self._pool.stop()

    async def available(self, guild_ids: list[int], joined: bool) -> None:
        """A worker added to a server seats a waiting Space there and tells its host; one connecting (the bot's
        start or restart) seats them quietly, as the bot's own connection is given back after a restart."""
        await self._bot.wait_until_ready()  # the Stages are looked up in the bot's own cache
        for guild_id in guild_ids:
            try:
                if joined:
                    await self._server_audio.worker_available(guild_id)
                else:
                    await self._server_audio.settle(guild_id)
            except Exception:  # one server's trouble must not keep the others silent
                log.exception("could not give the waiting Spaces of server %s an audio worker", guild_id)

    async def left_stage(self, worker_id: int, guild_id: int, channel_id: int) -> None:
        try:
            await self._server_audio.worker_left(worker_id, guild_id, channel_id)
        except Exception:
            log.exception("could not hand on the audio of Stage %s after its worker left", channel_id)
