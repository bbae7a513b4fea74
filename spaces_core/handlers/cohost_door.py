"""A co-host added to a live ticketed Space is let onto its Stage at once (the Space's role).

So a co-host without a ticket who drops can rejoin without waiting for the next reconciliation. Whether the Space
is ticketed is read from the database, not from the door: a co-host added while the doors are still closing, or
just after a restart, is let in too. Speakers need nothing: only a member already on the Stage (a holder, a
moderator) can be invited up, and a speaker who drops comes back as a listener.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from spaces_core.bus import MessageBus
from spaces_core.domain.errors import SpacesError
from spaces_core.domain.events import CohostAdded
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer

__all__ = ["CohostDoor", "TicketDoor", "register"]

log = logging.getLogger(__name__)

ScheduleOf = Callable[[str], Awaitable[ScheduledSpace | None]]  # the scheduled Space a live one was opened from
OfferOf = Callable[[str], Awaitable[TicketOffer | None]]  # a scheduled Space's tickets, if it sells any


class TicketDoor(Protocol):
    async def let_in(self, schedule: ScheduledSpace, user_id: int) -> bool:
        """Let a member onto the gated Stage of a live ticketed Space, ticket or not, until it ends."""
        ...


class CohostDoor:
    def __init__(self, door: TicketDoor, *, schedule_of: ScheduleOf, offer_of: OfferOf) -> None:
        self._door, self._schedule_of, self._offer_of = door, schedule_of, offer_of

    async def __call__(self, space: Space, event: CohostAdded) -> None:
        try:
            schedule = await self._schedule_of(space.id)
            if schedule is None or await self._offer_of(schedule.id) is None:
                return
        except SpacesError as exc:  # the co-host is added either way; the next reconciliation lets them in
            log.warning("co-host %s of live Space %s not let in yet: %s", event.user_id, space.id, exc)
            return
        await self._door.let_in(schedule, event.user_id)


def register(bus: MessageBus, door: TicketDoor, *, schedule_of: ScheduleOf, offer_of: OfferOf) -> None:
    """Only where tickets are sold (both Stripe settings): without them no Stage is ever gated."""
    bus.subscribe(CohostAdded, CohostDoor(door, schedule_of=schedule_of, offer_of=offer_of), name="ticket door")
