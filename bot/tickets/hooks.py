"""What a live Space's events mean for its tickets, hooked on the Space events.

(A scheduled Space's life — cancel, reschedule, go-live, end — acts on its tickets through the message bus:
`spaces_core.services.schedule_tickets` and `bot.tickets.schedule_handlers`.)

`CohostDoor`: a co-host added to a live ticketed Space is let in at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.tickets.gate import TicketGate
from spaces_core.domain.errors import SpacesError
from spaces_core.domain.events import CohostAdded, DomainEvent
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.ports import EventPublisher
from spaces_core.services.tickets import TicketService

__all__ = ["CohostDoor"]

log = logging.getLogger(__name__)


class CohostDoor:
    """Hands every event of a live Space on; then lets each co-host added to a ticketed Space in at once (the
    Space's role), so one without a ticket who drops can rejoin without waiting for the next reconciliation.
    Whether the Space is ticketed is read from the database, not from the gate: a co-host added while the doors
    are still closing, or just after a restart, is let in too. Speakers need nothing: only a member already on the
    Stage (a holder, a moderator) can be invited up, and a speaker who drops comes back as a listener."""

    def __init__(
        self,
        inner: EventPublisher,
        *,
        gate: TicketGate,
        tickets: TicketService,
        schedule_of: Callable[[str], Awaitable[ScheduledSpace | None]],
    ) -> None:
        self._inner, self._gate, self._tickets = inner, gate, tickets
        self._schedule_of = schedule_of  # the scheduled Space a live one was opened from

    async def publish(self, space: Space, events: Sequence[DomainEvent]) -> None:
        await self._inner.publish(space, events)
        added = [event.user_id for event in events if isinstance(event, CohostAdded)]
        if not added:
            return
        try:
            schedule = await self._schedule_of(space.id)
            if schedule is None or await self._tickets.offer(schedule.id) is None:
                return
        except SpacesError as exc:  # the co-host is added either way; the next reconciliation lets them in
            log.warning("co-hosts of live Space %s not let in yet: %s", space.id, exc)
            return
        for user_id in added:
            await self._gate.let_in(schedule, user_id)
