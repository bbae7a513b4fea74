"""What a scheduled Space's life means for its tickets: core handlers of the schedule events, registered on the
message bus when tickets are configured (after the Discord side of scheduling, so the event and the card are
updated first, as members saw it before).

- cancelled or missed: every ticket is refunded (each holder told by the ticket service), then
  `ScheduleTicketsRefunded` is published: the Discord side deletes the Space's role and opens its doors;
- rescheduled: each holder is asked Keep or Refund (no answer keeps the ticket).

Both run in the background (`Background`, owned by the bot's ticket desk): they make Stripe calls and DM every
holder, and `/space cancel` or the scheduler's job must not wait for that. A failure is logged by the owner; the
next ticket reconciliation resumes what a crash left.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from spaces_core.bus import MessageBus
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.schedule_events import ScheduleCancelled, ScheduleTicketsRefunded, SpaceRescheduled
from spaces_core.domain.tickets import RefundReason
from spaces_core.services.tickets import TicketService

__all__ = ["Background", "register"]

Background = Callable[[Coroutine[Any, Any, object], str], None]  # run this work as an owned task, named


def register(bus: MessageBus, tickets: TicketService, background: Background) -> None:
    rules = _TicketRules(bus, tickets, background)
    bus.subscribe(ScheduleCancelled, rules.refund_everyone, name="tickets: refund everyone")
    bus.subscribe(SpaceRescheduled, rules.ask_keep_or_refund, name="tickets: ask keep or refund")


class _TicketRules:
    def __init__(self, bus: MessageBus, tickets: TicketService, background: Background) -> None:
        self._bus, self._tickets, self._background = bus, tickets, background

    async def refund_everyone(self, schedule: ScheduledSpace, event: ScheduleCancelled) -> None:
        reason = RefundReason.MISSED if event.missed else RefundReason.CANCELLED
        self._background(self._refund(schedule, reason), f"refund-all {schedule.id}")

    async def ask_keep_or_refund(self, schedule: ScheduledSpace, event: SpaceRescheduled) -> None:
        self._background(self._tickets.rescheduled(schedule.id), f"keep-or-refund {schedule.id}")

    async def _refund(self, schedule: ScheduledSpace, reason: RefundReason) -> None:
        if await self._tickets.offer(schedule.id) is None:
            return
        refunded = await self._tickets.refund_all(schedule.id, reason=reason)
        await self._bus.publish(schedule, [ScheduleTicketsRefunded(schedule.id, reason, refunded)])
