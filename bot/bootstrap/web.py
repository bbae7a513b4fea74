"""The composition root's web part: the web server with what it serves, and how it finds scheduled Spaces (the
schedules service, the card's calendar text, ticket offers; the web package may not import the schedules feature's
internals, so they meet here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from aiohttp.web import Application

from bot.access import Audience
from bot.audio.rooms import AudioRooms
from bot.bootstrap import tickets as tickets_assembly
from bot.bootstrap.janus import janus_edges
from bot.captions.feed import CaptionFeed
from bot.client import SpacesBot
from bot.context import Tickets, Web
from bot.hls.page_files import PageFiles
from bot.schedules.render import calendar_text
from bot.settings import Settings
from bot.transcripts.replay_facts import ReplayHeader
from bot.transcripts.replay_lines import ReplayLines
from bot.web import LinkSigner, NoWeb, Upcoming, WebServer
from bot.web import place_of as web_place_of
from bot.web import who_is as web_who_is
from spaces_core.domain.errors import NotFound
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.services.schedules import ScheduleService

__all__ = ["Upcoming", "web_server", "web_upcoming"]


def web_upcoming(schedules: ScheduleService, tickets: Tickets) -> Upcoming:
    async def schedule_of(schedule_id: str) -> ScheduledSpace | None:
        try:
            return await schedules.get(schedule_id)
        except NotFound:
            return None

    async def ticketed(schedule_id: str) -> bool:
        return await tickets.offer(schedule_id) is not None

    return Upcoming(schedule_of, calendar_text, ticketed)


def web_server(
    settings: Settings,
    bot: SpacesBot,
    audio: AudioRooms,
    tickets: Tickets,
    ticketing: tickets_assembly.TicketAdapters | None,
    captions: CaptionFeed,
    signer: LinkSigner,
    more_routes: Sequence[Callable[[Application], None]],
    upcoming: Upcoming,
) -> Web:
    """The listen page and WebRTC signalling (no links at all without `WEB_PORT`); tickets decide who may listen,
    and the page shows the live captions from `captions`."""
    if settings.web_port is None:
        return NoWeb()
    server = WebServer(
        audio,
        signer,
        host=settings.web_host,
        port=settings.web_port,
        public_base_url=settings.public_base_url,
        who=partial(web_who_is, bot),
        place_of=partial(web_place_of, bot),
        ticketed=tickets.ticketed,
        may_attend=tickets.may_attend,
        webhook=ticketing.webhook if ticketing is not None else None,
        captions=captions,
        replay_transcript=ReplayLines(bot),
        replay_facts=ReplayHeader(bot),
        replay_audience=Audience(bot),
        more_routes=more_routes,
        upcoming=upcoming,
        edges=janus_edges(settings, audio),
    )
    if settings.hls_dir:  # a streaming Space's page state beside its playlist, for its broadcast pages to poll
        PageFiles(Path(settings.hls_dir), server.pages).watch(audio)
    return server
