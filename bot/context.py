"""What every cog, view and listener reaches through the client: the services and the Discord-side helpers.

Built once in `bot.bootstrap` and attached to the client as `client.app`; components find it from the
interaction, so persistent buttons keep working after a restart without any global state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from spaces_core.services.follows import FollowService
from spaces_core.services.payouts import PayoutService
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.tickets import TicketService

if TYPE_CHECKING:
    from bot.audio.rooms import AudioRooms
    from bot.audio.server_audio import ServerAudio
    from bot.audio.stage import StageAdapter
    from bot.spaces.cards import CardUpdater, LiveBoard
    from bot.tickets.desk import TicketDesk
    from bot.web import WebServer
    from spaces_core.scheduling import ApsJobPlanner

__all__ = ["AppContext", "app_of"]


@dataclass(slots=True)
class AppContext:
    spaces: SpaceService
    follows: FollowService
    settings: SettingsService
    cards: CardUpdater
    board: LiveBoard
    stage: StageAdapter
    audio: AudioRooms | None = None  # live audio of each Space (receive, mix, web listeners)
    server_audio: ServerAudio | None = None  # which Space has each server's one voice connection, why others go without
    web: WebServer | None = None  # listen page and WebRTC signalling (off without WEB_PORT)
    schedules: ScheduleService | None = None  # scheduled Spaces, reminders (bot.schedules.announcer)
    planner: ApsJobPlanner | None = None  # their persistent jobs: started and stopped by the client
    # Ticketed Spaces (None without STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET: the commands say how to enable them)
    tickets: TicketService | None = None
    payouts: PayoutService | None = None
    tickets_desk: TicketDesk | None = None  # reconciliation, gating and card redraws: started and stopped by the client


def app_of(client: discord.Client | Any) -> AppContext:
    app = getattr(client, "app", None)
    if not isinstance(app, AppContext):
        raise RuntimeError("the client was not built by bot.bootstrap (no AppContext attached)")
    return app
