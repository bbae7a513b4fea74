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
from spaces_core.services.follows import FollowService
from spaces_core.services.payouts import PayoutService
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.tickets import TicketService

if TYPE_CHECKING:  # below every feature that reaches them through here: no cycle (import-linter checks it)
    from bot.audio.rooms import AudioRooms
    from bot.audio.server_audio import ServerAudio
    from bot.audio.stage import StageAdapter
    from bot.web import WebServer
    from spaces_core.scheduling import ApsJobPlanner

__all__ = ["AppContext", "Running", "TicketDoor", "TicketGating", "app_of"]


# The parts of features that themselves reach the AppContext (spaces, tickets) are seen here only as the little
# the rest of the bot asks of them, so this module stays below every feature.
class Running(Protocol):
    """A background part the client starts once ready and stops on close (the live cards, the live board)."""

    def start(self) -> None: ...
    async def stop(self) -> None: ...


class TicketGating(Protocol):
    """The doors of ticketed Spaces' Stages (bot.tickets.gate)."""

    def gated_on(self, channel_id: int) -> ScheduledSpace | None: ...
    def gated_in(self, guild_id: int) -> list[ScheduledSpace]: ...
    async def turn_away(self, member: discord.Member, schedule: ScheduledSpace) -> bool: ...


class TicketDoor(Running, Protocol):
    """Who may attend a ticketed Space, and the redraws when its seats change (bot.tickets.desk)."""

    @property
    def gate(self) -> TicketGating: ...
    def changed(self, schedule_id: str) -> None: ...
    async def ticketed(self, space: Space) -> bool: ...
    async def may_attend(self, space: Space, user_id: int) -> bool: ...


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
    web: WebServer | None = None  # listen page and WebRTC signalling (off without WEB_PORT)
    # Ticketed Spaces (None without STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET: the commands say how to enable them)
    tickets: TicketService | None = None
    payouts: PayoutService | None = None
    tickets_desk: TicketDoor | None = None  # reconciliation, gating and card redraws: started and stopped by the client


def app_of(client: discord.Client | Any) -> AppContext:
    app = getattr(client, "app", None)
    if not isinstance(app, AppContext):
        raise RuntimeError("the client was not built by bot.bootstrap (no AppContext attached)")
    return app
