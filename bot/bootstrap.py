"""The composition root: the one place that turns settings into live objects and wires them together.

Nothing is built at import time. `build` needs a running event loop (aiohttp's connector must be created
inside one), which is why it is a coroutine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.audio import AudioRooms
from bot.cards import CardUpdater, LiveBoard
from bot.client import SpacesBot
from bot.context import AppContext
from bot.discord_connector import build_connector
from bot.publisher import DiscordPublisher
from bot.schedule_announcer import CompletingPublisher, DiscordScheduleAnnouncer, live_starter
from bot.settings import Settings
from bot.stage import StageAdapter
from bot.web import LinkSigner, WebServer
from spaces_core.clock import SystemClock
from spaces_core.domain.schedule import SchedulePolicy
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.scheduling import ApsJobPlanner
from spaces_core.services.follows import FollowService
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.store.database import create_engine, make_uow_factory, migrate

__all__ = ["Runtime", "build", "run"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    bot: SpacesBot
    dispose: Callable[[], Awaitable[None]]

    async def close(self) -> None:
        await self.bot.close()
        await self.dispose()


async def build(settings: Settings, *, guild_ready_timeout: float = 2.0) -> Runtime:
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    uow_factory = make_uow_factory(engine)
    bot = SpacesBot(
        succession_tick=settings.succession_tick,
        dev_guild_id=settings.dev_guild_id,
        connector=build_connector(settings.discord_endpoint, settings.discord_ca_file),
        guild_ready_timeout=guild_ready_timeout,
    )
    follows = FollowService(uow_factory)
    config = SettingsService(uow_factory)

    async def card_refs(space_id: str) -> list[tuple[int, int]]:
        return await spaces.cards(space_id)

    async def live_in_guild(guild_id: int) -> list:  # type: ignore[type-arg]
        return await spaces.live_in_guild(guild_id)

    async def record_card(space_id: str, channel_id: int, message_id: int) -> None:
        await spaces.record_card(space_id, channel_id, message_id)

    async def feed_channel(guild_id: int) -> int | None:
        return (await config.policy(guild_id)).feed_channel_id

    cards = CardUpdater(bot, card_refs, settings.card_edit_interval)
    board = LiveBoard(bot, live_in_guild, config.policy, config.record_live_board, settings.card_edit_interval)
    stage = StageAdapter(bot)
    audio = AudioRooms(web_host=settings.web_host, recordings_dir=Path(settings.recordings_dir))
    publisher = DiscordPublisher(
        bot,
        stage,
        cards,
        board,
        bot.dms,
        record_card=record_card,
        feed_channel=feed_channel,
        followers_to_notify=follows.followers_to_notify,
        audio=audio,
    )

    async def space_ended(space_id: str) -> bool:  # a scheduled Space's Discord event is completed
        return await schedules.space_ended(space_id)

    spaces = SpaceService(uow_factory, SystemClock(), CompletingPublisher(publisher, space_ended))
    web = None
    if settings.web_port is not None:
        web = WebServer(
            audio,
            LinkSigner(settings.link_secret),
            host=settings.web_host,
            port=settings.web_port,
            public_base_url=settings.public_base_url,
            name_of=lambda guild_id, user_id: _display_name(bot, guild_id, user_id),
        )
    schedules, planner = _schedules(settings, uow_factory, bot, spaces, config, feed_channel)
    bot.app = AppContext(
        spaces=spaces, follows=follows, settings=config, cards=cards, board=board, stage=stage, audio=audio, web=web
    )
    bot.app.schedules, bot.app.planner = schedules, planner
    return Runtime(bot=bot, dispose=engine.dispose)


def _schedules(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    bot: SpacesBot,
    spaces: SpaceService,
    config: SettingsService,
    feed_channel: Callable[[int], Awaitable[int | None]],
) -> tuple[ScheduleService, ApsJobPlanner]:
    """Scheduled Spaces: jobs in the same database as everything else (started and stopped by the client)."""

    async def run_job(schedule_id: str, revision: int, key: str) -> bool:
        return await schedules.fire(schedule_id, revision, key)

    planner = ApsJobPlanner(settings.database_url, run_job)
    policy = SchedulePolicy(
        reminder_offsets=settings.reminder_offsets,
        host_alert=timedelta(seconds=settings.host_alert_seconds),
        grace=timedelta(seconds=settings.schedule_grace_seconds),
    )
    announcer = DiscordScheduleAnnouncer(bot, bot.dms, feed_channel=feed_channel)
    start_live = live_starter(bot, spaces.start_space, spaces.reconcile, config.policy)
    schedules = ScheduleService(uow_factory, SystemClock(), planner, announcer, start_live, policy=policy)
    return schedules, planner


def _display_name(bot: SpacesBot, guild_id: int, user_id: int) -> str:
    guild = bot.get_guild(guild_id)
    member = guild.get_member(user_id) if guild is not None else None
    return member.display_name if member is not None else "a speaker"


async def run(settings: Settings) -> None:
    runtime = await build(settings)
    try:
        await runtime.bot.start(settings.discord_token)
    finally:
        await runtime.close()
