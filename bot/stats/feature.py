"""Host analytics put together: what the composition root builds (`build_host_stats`), subscribes (`register`)
and adds (`StatsCog`), so bot/bootstrap/ wires the feature in a few lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import discord
from discord.ext import commands

from bot.audio.rooms import AudioRooms
from bot.context import Web
from bot.notices import display_name
from bot.settings import Settings
from bot.stats.page import StatsPages, stats_path
from bot.stats.sampler import StatsSampler
from bot.web import LinkSigner, WebServer
from spaces_core.bus import MessageBus
from spaces_core.clock import SystemClock
from spaces_core.domain.events import HandLowered, HandRaised
from spaces_core.domain.space import Space
from spaces_core.services.spaces import SpaceService
from spaces_core.services.stats import StatsService

__all__ = ["HostStats", "StatsCog", "build_host_stats", "stats_pages"]


class HostStats:
    """What the rest of the bot asks of host analytics (`bot.context.Stats`), and the parts it is made of."""

    def __init__(
        self, service: StatsService, sampler: StatsSampler, pages: StatsPages, base_url: Callable[[], str | None]
    ) -> None:
        self._service, self.sampler, self.pages, self._base_url = service, sampler, pages, base_url

    @property
    def service(self) -> StatsService:
        return self._service

    def page_url(self, space_id: str, member_id: int) -> str | None:
        """The member's private link to the Space's stats page (None without the web server)."""
        base = self._base_url()
        return None if base is None else base + stats_path(space_id, self.pages.token(space_id, member_id))

    def register(self, bus: MessageBus) -> None:
        """The hands' waits from the domain's events; the sampler follows every committed change of a Space."""

        async def raised(space: Space, event: HandRaised) -> None:
            await self._service.hand_raised(event.space_id, event.user_id)

        async def lowered(space: Space, event: HandLowered) -> None:
            await self._service.hand_lowered(event.space_id, event.user_id, event.reason)

        async def follow(space: Space, events: Sequence[object]) -> None:
            await self.sampler.follow(space)

        bus.subscribe(HandRaised, raised, name="stats: a hand's wait starts")
        bus.subscribe(HandLowered, lowered, name="stats: a hand's wait ends")
        bus.each_batch(Space, follow, name="stats sampler follows the Space")


def stats_pages(service: StatsService, signer: LinkSigner, client: discord.Client) -> StatsPages:
    """The host page's routes, built before the web server that serves them (with the server's own signer)."""
    return StatsPages(service, signer, partial(display_name, client))


def build_host_stats(
    settings: Settings, service: StatsService, spaces: SpaceService, rooms: AudioRooms, pages: StatsPages, web: Web
) -> HostStats:
    """The sampler (STATS_INTERVAL, STATS_MAX_SAMPLES), told of each room closing so no talk time is lost; page
    links at the web server's address once it listens, none without it (no WEB_PORT)."""
    sampler = StatsSampler(
        service,
        rooms,
        spaces.all_live,
        SystemClock(),
        interval=settings.stats_interval,
        max_samples=settings.stats_max_samples,
    )
    rooms.watch(sampler.room_opened, sampler.room_closing)

    def base_url() -> str | None:
        return web.base_url if isinstance(web, WebServer) else None

    return HostStats(service, sampler, pages, base_url)


class StatsCog(commands.Cog):
    """No commands (`/space stats` is in the `/space` group): runs the sampler with the client."""

    def __init__(self, stats: HostStats) -> None:
        self.stats = stats

    async def cog_load(self) -> None:
        self.stats.sampler.start()

    async def cog_unload(self) -> None:
        await self.stats.sampler.stop()
