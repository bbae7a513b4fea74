"""The discord.py client: cogs, persistent components, command sync and the owned background tasks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.ext import commands

from bot.context import AppContext
from bot.dms import DmSender
from bot.follows.cog import FollowCog
from bot.help.cog import HelpCog
from bot.preferences.member import SettingsCog
from bot.preferences.server import ServerSettingsCog
from bot.schedules.cog import ScheduleCog
from bot.schedules.views import register_schedule_components
from bot.spaces.cog import SpaceCog
from bot.spaces.moderation import ModerationCog
from bot.spaces.presence import PresenceCog
from bot.spaces.views import register_components
from bot.tickets.cog import PayoutsCog
from bot.tickets.views import register_ticket_components

__all__ = ["SpacesBot", "bot_intents"]

log = logging.getLogger(__name__)


def bot_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True  # joins, leaves and raised hands on Stages
    intents.members = True  # privileged: member lookups for moderation and the card
    intents.guild_scheduled_events = True
    return intents


class SpacesBot(commands.AutoShardedBot):
    """Owns the background work (card edits, board, DMs, takeovers): started in setup_hook, stopped in close.

    Sharded by discord.py's AutoShardedBot: `shard_count` and `shard_ids` (SHARD_COUNT, SHARD_IDS) are always
    given, so it never asks Discord how many shards to run; unsharded is one shard of one."""

    app: AppContext

    def __init__(self, *, succession_tick: float, dev_guild_id: int | None, **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),  # nothing a member typed ever pings anyone
            help_command=None,
            **options,
        )
        self.dms = DmSender(self)
        self._succession_tick = succession_tick
        self._dev_guild_id = dev_guild_id
        self._ticker: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        for cog in (
            SpaceCog(self),
            ModerationCog(self),
            FollowCog(self),
            SettingsCog(self),
            ServerSettingsCog(self),
            HelpCog(self),
            PresenceCog(self),
            ScheduleCog(self),
            PayoutsCog(self),
        ):
            await self.add_cog(cog)
        register_components(self)
        register_schedule_components(self)
        register_ticket_components(self)
        if self._dev_guild_id is not None:
            guild = discord.Object(self._dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        self.app.cards.start()
        self.app.board.start()
        self.dms.start()
        await self.app.web.start()
        await self.app.planner.start()
        await self.app.schedules.resync()  # jobs lost between a commit and a crash are planned again
        self.app.tickets.start()  # reconciles once ready (a payment made while we were down), then often
        self._ticker = asyncio.create_task(self._succession_loop(), name="succession")

    async def _succession_loop(self) -> None:
        while True:
            await asyncio.sleep(self._succession_tick)
            try:
                await self.app.spaces.run_due_successions()
            except Exception:
                log.exception("co-host takeover check failed; retrying next tick")

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self.app.planner.stop()  # first: a reminder still running can queue its DMs
        await self.app.tickets.stop()
        await self.app.cards.stop()
        await self.app.board.stop()
        await self.dms.stop()
        await self.app.web.stop()
        await self.app.audio.stop()
        await super().close()
