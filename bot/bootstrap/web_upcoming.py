"""How the web server finds scheduled Spaces: the schedules service, the card's calendar text, ticket offers.

The web package may not import the schedules feature's internals (its renderer), so they meet here."""

from __future__ import annotations

from bot.context import Tickets
from bot.schedules.render import calendar_text
from bot.web import Upcoming
from spaces_core.domain.errors import NotFound
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.services.schedules import ScheduleService

__all__ = ["Upcoming", "web_upcoming"]


def web_upcoming(schedules: ScheduleService, tickets: Tickets) -> Upcoming:
    async def schedule_of(schedule_id: str) -> ScheduledSpace | None:
        try:
            return await schedules.get(schedule_id)
        except NotFound:
            return None

    async def ticketed(schedule_id: str) -> bool:
        return await tickets.offer(schedule_id) is not None

    return Upcoming(schedule_of, calendar_text, ticketed)
