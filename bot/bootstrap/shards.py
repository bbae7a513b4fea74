"""The composition root's sharded part (SHARD_COUNT above 1, PostgreSQL): the bus that mails other shards'
batches, the group holding this process's shards, the listen page's redirect to another process's Spaces, and
`run_holding`, which logs in to Discord only once every shard's lock is held. Unsharded, the bus is the plain one
and there is no group. The design is `spaces_core.sharding.group`'s docstring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp.web import Application

from bot.audio.rooms import AudioRooms
from bot.client import SpacesBot
from bot.context import Web
from bot.settings import Settings
from bot.web import WebServer, redirect_to_owner
from spaces_core.bus import MessageBus
from spaces_core.domain.errors import NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.services.spaces import SpaceService
from spaces_core.sharding import ShardedBus, ShardGroup

__all__ = ["at_owner", "message_bus", "redirects", "run_holding", "shard_group"]

log = logging.getLogger(__name__)
StartLive = Callable[[ScheduledSpace, Actor], Awaitable[Space]]
START_LIVE = "start_live"


def message_bus(settings: Settings) -> MessageBus:
    return ShardedBus(settings.shards) if settings.shard_count > 1 else MessageBus()


def shard_group(settings: Settings, bus: MessageBus) -> ShardGroup | None:
    if not isinstance(bus, ShardedBus):
        return None
    return ShardGroup(settings.database_url, bus)


def at_owner(group: ShardGroup | None, start_live: StartLive) -> StartLive:
    """Open a scheduled Space's live one in the process owning its guild. Start now is pressed in the host's DM,
    which Discord sends to shard 0's process; the owner has the guild's member, Stage and audio."""
    if group is None:
        return start_live
    group.answer(START_LIVE, start_live)

    async def start(schedule: ScheduledSpace, actor: Actor) -> Space:
        if group.plan.owns(schedule.guild_id):
            return await start_live(schedule, actor)
        log.info("Start now for %s: opened by the process holding its server's shard", schedule.id)
        space = await group.call(schedule.guild_id, START_LIVE, schedule, actor)
        if not isinstance(space, Space):
            raise TypeError(f"the owner's {START_LIVE} answered {type(space).__name__}, not a Space")
        return space

    return start


def redirects(
    group: ShardGroup, spaces: SpaceService, audio: AudioRooms, web: Callable[[], Web]
) -> Callable[[Application], None]:
    """The web server's middleware sending a Space of another process's guild to that process's address."""

    async def owner_of(space_id: str) -> str | None:
        if audio.get(space_id) is not None:
            return None  # its audio is here
        try:
            space = await spaces.get(space_id)
        except NotFound:
            return None  # a scheduled Space's id, or none at all: this process's pages answer
        owner = await group.web_of(space.guild_id)  # live: its audio; ended: its replay's files
        here = web()
        return None if owner is None or (isinstance(here, WebServer) and owner == here.base_url) else owner

    return redirect_to_owner(owner_of)


async def run_holding(group: ShardGroup | None, bot: SpacesBot, token: str) -> None:
    """Hold every shard (waiting for a process a deploy replaces), then run the bot, its web address recorded
    once ready; stop it if the shards' connection is lost (another process may take them)."""
    if group is None:
        await bot.start(token)
        return
    await group.hold()
    running = asyncio.create_task(bot.start(token), name="spaces-bot")
    lost = asyncio.create_task(group.lost.wait(), name="shards-lost")
    registered = asyncio.create_task(_register_web(group, bot), name="shards-web")
    try:
        await asyncio.wait({running, lost}, return_when=asyncio.FIRST_COMPLETED)
        if lost.done():
            await bot.close()
        await running
        if lost.done():  # a non-zero exit: the supervisor starts it again, and it waits for the shards' locks
            shards = list(group.plan.ids)
            raise RuntimeError(f"lost the lock of shards {shards}; stopped so another process may hold them")
    finally:
        for task in (lost, registered):
            task.cancel()
        await asyncio.gather(lost, registered, return_exceptions=True)


async def _register_web(group: ShardGroup, bot: SpacesBot) -> None:
    await bot.wait_until_ready()
    web = bot.app.web
    if not isinstance(web, WebServer):
        return
    try:
        await group.register_web(web.base_url)
    except Exception:  # the listen pages of this process's Spaces asked elsewhere are then not redirected here
        log.exception("could not record this process's web address for shards %s", list(group.plan.ids))
        return
    log.info("shards %s: listen pages at %s", list(group.plan.ids), web.base_url)
