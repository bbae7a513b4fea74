"""The listen page of a Space planned for later: its scheduled state, its calendar file, and its status.

    GET /spaces/{id}               (the listen page's route) for an upcoming scheduled Space: ``static/scheduled.html``
                                   with the Space's facts as a JSON blob in the page (server, title, topics, host,
                                   the start as ISO UTC, Discord links, whether tickets are sold); a scheduled Space
                                   gone live redirects to its live Space's page
    GET /spaces/{id}/calendar.ics  the Space as an iCalendar file (the same text as the card's attachment)
    GET /spaces/{id}/status        {"state": "upcoming" | "live" | "gone", "live": the live page's path or null}:
                                   what the page polls to follow its Space going live

A cancelled, missed or ended scheduled Space is not found (the caller answers with its styled 404). The page names
no member but the host, and a ticketed one only says tickets are sold in Discord: nothing personal is on it.
Nothing here imports the schedules feature: the composition root hands in how to find a scheduled Space, its
calendar text and whether it is ticketed (``Upcoming``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.web.page_state import Place, PlaceOf, Who
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState

__all__ = ["BLOB", "POLL_SECONDS", "ScheduleOf", "ScheduledPages", "Upcoming", "scheduled_state"]

ScheduleOf = Callable[[str], Awaitable[ScheduledSpace | None]]  # a scheduled Space by id, or None
BLOB = "__SCHEDULED_SPACE__"  # where the page's JSON goes in ``static/scheduled.html``
POLL_SECONDS = 15.0  # how often the page asks whether its Space has gone live (faster once the start has passed)


@dataclass(frozen=True, slots=True)
class Upcoming:
    """What the web server needs of scheduled Spaces: find one, its calendar text, whether tickets are sold."""

    schedule_of: ScheduleOf
    calendar_of: Callable[[ScheduledSpace, datetime], str]
    ticketed: Callable[[str], Awaitable[bool]]
    poll_seconds: float = POLL_SECONDS


def scheduled_state(
    schedule: ScheduledSpace, who: Who, place: Place | None, *, ticketed: bool, poll_seconds: float
) -> dict[str, Any]:
    """The scheduled page's facts. The start goes as UTC ISO 8601: the browser shows it in the reader's zone."""
    host = who(schedule.guild_id, schedule.host_id)
    event = schedule.event_id
    return {
        "id": schedule.id,
        "title": schedule.title,
        "topics": list(schedule.topics),
        "server": None if place is None else {"name": place.name, "icon": place.icon},
        "host": {"name": host.name, "avatar": host.avatar},
        "starts_at": schedule.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "discord": f"https://discord.com/channels/{schedule.guild_id}/{schedule.channel_id}",
        "event": None if event is None else f"https://discord.com/events/{schedule.guild_id}/{event}",
        "ticketed": ticketed,
        "poll_seconds": poll_seconds,
    }


class ScheduledPages:
    """The scheduled state's answers; `page` returns None when the id is no upcoming (or live) scheduled Space."""

    def __init__(self, upcoming: Upcoming, page: str, who: Who, place_of: PlaceOf) -> None:
        self._upcoming, self._page, self._who, self._place_of = upcoming, page, who, place_of
        self.poll_seconds = upcoming.poll_seconds  # how often an open page asks whether its Space went live

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/spaces/{space_id}/calendar.ics", self._calendar)
        app.router.add_get("/spaces/{space_id}/status", self._status)

    async def page(self, request: web.Request) -> web.Response | None:
        schedule = await self._upcoming.schedule_of(request.match_info["space_id"])
        if schedule is not None and schedule.state is ScheduleState.LIVE and schedule.live_space_id:
            raise web.HTTPFound(f"/spaces/{schedule.live_space_id}")
        if schedule is None or not schedule.is_upcoming:
            return None
        state = scheduled_state(
            schedule,
            self._who,
            self._place_of(schedule.guild_id),
            ticketed=await self._upcoming.ticketed(schedule.id),
            poll_seconds=self.poll_seconds,
        )
        # In a <script> element only "</" could end it early: "<" as a JSON escape keeps any title harmless.
        blob = json.dumps(state).replace("<", "\\u003c")
        return web.Response(
            text=self._page.replace(BLOB, blob),
            content_type="text/html",
            headers={"Cache-Control": "no-store"},
        )

    async def _calendar(self, request: web.Request) -> web.Response:
        schedule = await self._upcoming.schedule_of(request.match_info["space_id"])
        if schedule is None or not schedule.is_upcoming:
            raise web.HTTPNotFound(text="This Space is not planned any more.")
        text = self._upcoming.calendar_of(schedule, datetime.now(UTC))
        return web.Response(
            body=text.encode(),
            content_type="text/calendar",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="space.ics"', "Cache-Control": "no-store"},
        )

    async def _status(self, request: web.Request) -> web.Response:
        schedule = await self._upcoming.schedule_of(request.match_info["space_id"])
        state, live = "gone", None
        if schedule is not None and schedule.is_upcoming:
            state = "upcoming"
        elif schedule is not None and schedule.state is ScheduleState.LIVE and schedule.live_space_id:
            state, live = "live", f"/spaces/{schedule.live_space_id}"
        return web.json_response({"state": state, "live": live}, headers={"Cache-Control": "no-store"})
