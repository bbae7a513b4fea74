"""The Discord side of a ticketed Space's schedule events, on the message bus (registered after the schedules'
own handlers, with the core rules of `spaces_core.services.schedule_tickets`):
- went live: the Stage's doors close to all but holders, host, co-hosts and moderators, holders get their
  personal listen link, the cards show "Ticket holders only" (in the background: many holders);
- ended: the doors open again and the role goes; the cards stop selling;
- every ticket refunded (a cancelled or missed Space): the role goes and the doors open.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.dms import DmSender
from bot.tickets.gate import TicketGate
from bot.tickets.render import stage_link
from spaces_core.bus import MessageBus
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.schedule_events import ScheduleEnded, ScheduleTicketsRefunded, ScheduleWentLive
from spaces_core.services.schedule_tickets import Background
from spaces_core.services.spaces import SpaceService
from spaces_core.services.tickets import TicketService

__all__ = ["PersonalLink", "register"]

PersonalLink = Callable[[str, int], str | None]  # (live Space id, member id) -> their listen link, if the web is on


def register(
    bus: MessageBus,
    *,
    tickets: TicketService,
    gate: TicketGate,
    spaces: SpaceService,
    dms: DmSender,
    background: Background,
    changed: Callable[[str], None],
    personal_link: PersonalLink,
) -> None:
    doors = _Doors(tickets, gate, spaces, dms, background, changed, personal_link)
    bus.subscribe(ScheduleWentLive, doors.went_live, name="tickets: close the doors")
    bus.subscribe(ScheduleEnded, doors.ended, name="tickets: open the doors")
    bus.subscribe(ScheduleTicketsRefunded, doors.refunded, name="tickets: role deleted")


class _Doors:
    def __init__(
        self,
        tickets: TicketService,
        gate: TicketGate,
        spaces: SpaceService,
        dms: DmSender,
        background: Background,
        changed: Callable[[str], None],
        personal_link: PersonalLink,
    ) -> None:
        self._tickets, self._gate, self._spaces, self._dms = tickets, gate, spaces, dms
        self._background, self._changed = background, changed
        self._personal_link = personal_link

    async def went_live(self, schedule: ScheduledSpace, event: ScheduleWentLive) -> None:
        if await self._tickets.offer(schedule.id) is not None:
            self._background(self._open_ticketed(schedule), f"gate {schedule.id}")

    async def ended(self, schedule: ScheduledSpace, event: ScheduleEnded) -> None:
        if await self._tickets.offer(schedule.id) is not None:
            await self._gate.open_doors(schedule)
            self._changed(schedule.id)  # the card stops selling

    async def refunded(self, schedule: ScheduledSpace, event: ScheduleTicketsRefunded) -> None:
        await self._gate.open_doors(schedule)

    async def _open_ticketed(self, schedule: ScheduledSpace) -> None:
        space_id = schedule.live_space_id
        space = await self._spaces.get(space_id) if space_id is not None else None
        insiders = [schedule.host_id] if space is None else [space.host_id, *space.cohosts]
        await self._gate.close_doors(schedule, insiders)
        self._changed(schedule.id)
        for holder in await self._tickets.holders(schedule.id):
            link = self._personal_link(space_id, holder) if space_id is not None else None
            text = f"🔴 **{schedule.title}** is live — your ticket lets you on the Stage: {stage_link(schedule)}"
            if link:
                text += f"\nOr listen in a browser with your personal link (don't share it): {link}"
            self._dms.send(holder, text)
