"""What every cog, view and listener reaches through the client: the services and the Discord-side helpers.

Built once in `bot.bootstrap` and attached to the client as `client.app`; components find it from the
interaction, so persistent buttons keep working after a restart without any global state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import discord

from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer
from spaces_core.services.follows import FollowService
from spaces_core.services.payouts import PayoutService
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.stats import StatsService
from spaces_core.services.tickets import TicketService
from spaces_core.services.transcripts import TranscriptService

if TYPE_CHECKING:  # below every feature that reaches them through here: no cycle (import-linter checks it)
    from bot.audio.rooms import AudioRooms
    from bot.audio.server_audio import ServerAudio
    from bot.audio.stage import StageAdapter
    from spaces_core.scheduling import ApsJobPlanner

__all__ = ["AppContext", "Broadcasts", "Captions", "Running", "Stats", "Tickets", "Web", "app_of"]


# The parts of features that themselves reach the AppContext (spaces, tickets) are seen here only as the little
# the rest of the bot asks of them, so this module stays below every feature.
class Running(Protocol):
    """A background part the client starts once ready and stops on close (the live cards, the live board)."""

    def start(self) -> None: ...
    async def stop(self) -> None: ...


class Web(Protocol):
    """The listen page and its links (bot.web.WebServer), or no links at all without WEB_PORT (bot.web.NoWeb)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def listen_url(self, space: Space) -> str | None: ...
    def page_url(self, space_id: str) -> str | None: ...  # a live Space's or an upcoming scheduled one's page
    def personal_url(self, space_id: str, member_id: int) -> str | None: ...
    def replay_url(self, space: Space, member_id: int, *, ttl_seconds: float) -> str | None: ...


class Tickets(Running, Protocol):
    """Ticketed Spaces as the rest of the bot asks about them: `bot.tickets.feature.TicketsOn` with both Stripe
    settings, else `TicketsOff`, whose `service` and `payouts` refuse with how to enable tickets (so every ticket
    command and button explains it) and which says no Space is ticketed."""

    @property
    def enabled(self) -> bool: ...
    def service(self) -> TicketService: ...
    def payouts(self) -> PayoutService: ...
    async def offer(self, schedule_id: str) -> TicketOffer | None: ...
    def gated_in(self, guild_id: int) -> list[ScheduledSpace]: ...
    async def ticketed(self, space: Space) -> bool: ...
    async def may_attend(self, space: Space, user_id: int) -> bool: ...


class Captions(Protocol):
    """Live captions (bot.captions.pipeline.LiveCaptions) as `/space captions` asks about them."""

    async def why_unavailable(self, space: Space) -> str | None: ...
    async def finish(self, space_id: str) -> None: ...


class Broadcasts(Protocol):
    """HLS (bot.hls.streams.HlsStreams with HLS_DIR, else HlsOff) as `/space broadcast` asks about it."""

    async def why_not_broadcast(self, space: Space) -> str | None: ...


class Stats(Protocol):
    """Host analytics (bot.stats.feature.HostStats) as `/space stats` asks about them."""

    @property
    def service(self) -> StatsService: ...
    def page_url(self, space_id: str, member_id: int) -> str | None: ...


@dataclass(slots=True)
class AppContext:
    spaces: SpaceService
    follows: FollowService
    settings: SettingsService
    schedules: ScheduleService  # scheduled Spaces, reminders (bot.schedules.announcer)
    planner: ApsJobPlanner  # their persistent jobs: started and stopped by the client
    cards: Running
    board: Running
    stage: StageAdapter
    audio: AudioRooms  # live audio of each Space (receive, mix, web listeners, recording)
    server_audio: ServerAudio  # which Space has each server's one voice connection, why others go without
    web: Web  # listen page and WebRTC signalling (no links without WEB_PORT): started and stopped by the client
    tickets: Tickets  # ticketed Spaces (off without the Stripe settings): started and stopped by the client
    transcripts: TranscriptService  # what was said in Spaces: files, search, the replay page's lines
    captions: Captions  # live captions: the model, each Space's pipeline, the Stage chat's message
    stats: Stats  # host analytics: the live Spaces' samples, `/space stats` and its private page
    hls: Broadcasts  # low-latency HLS of public live Spaces (off without HLS_DIR): whether one may broadcast


def app_of(client: discord.Client | Any) -> AppContext:
    app = getattr(client, "app", None)
    if not isinstance(app, AppContext):
        raise RuntimeError("the client was not built by bot.bootstrap (no AppContext attached)")
    return app
