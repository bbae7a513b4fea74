"""The Discord side of tickets (the core's `TicketNotifier` port): the holder's role, receipts and notices by DM.

Called by `TicketService` after the commit of what it announces, often from inside the Stripe webhook request,
so nothing here waits on a member: DMs go through the shared `DmSender` queue (a member who refuses DMs only
loses the message, never the ticket, and `/space share` gives the listen link again). Role changes are made
at once, because they are the access itself; a refused one is logged by the gate and redone at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.dms import DmSender
from bot.tickets.gate import TicketGate
from bot.tickets.render import (
    checkout_expired_text,
    keep_or_refund_text,
    payment_failed_text,
    receipt_text,
    refund_failed_text,
    refunded_text,
    waitlist_offer_text,
)
from bot.tickets.views import keep_or_refund_view
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState
from spaces_core.domain.tickets import Order, OrderState

__all__ = ["DiscordTicketNotifier"]

log = logging.getLogger(__name__)
PersonalLink = Callable[[str, int], str | None]  # (live Space id, member id) -> their listen link, if the web is on
Changed = Callable[[str], None]  # a scheduled Space's seats changed: redraw its cards


class DiscordTicketNotifier:
    def __init__(self, dms: DmSender, gate: TicketGate, *, personal_link: PersonalLink, changed: Changed) -> None:
        self._dms = dms
        self._gate = gate
        self._personal_link = personal_link
        self._changed = changed

    async def granted(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._gate.grant(schedule, order.user_id)
        link = None
        if schedule.state is ScheduleState.LIVE and schedule.live_space_id is not None:
            link = self._personal_link(schedule.live_space_id, order.user_id)
        self._dms.send(order.user_id, receipt_text(order, schedule, link))
        self._changed(schedule.id)

    async def refunded(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._gate.revoke(schedule, order.user_id)
        self._dms.send(order.user_id, refunded_text(order, schedule))
        self._changed(schedule.id)

    async def waitlist_offer(self, order: Order, schedule: ScheduledSpace) -> None:
        self._dms.send(order.user_id, waitlist_offer_text(order, schedule))
        self._changed(schedule.id)

    async def checkout_expired(self, order: Order, schedule: ScheduledSpace) -> None:
        self._dms.send(order.user_id, checkout_expired_text(order, schedule))
        self._changed(schedule.id)

    async def payment_failed(self, order: Order, schedule: ScheduledSpace) -> None:
        self._dms.send(order.user_id, payment_failed_text(order, schedule))
        self._changed(schedule.id)

    async def keep_or_refund(self, order: Order, schedule: ScheduledSpace) -> None:
        self._dms.send(order.user_id, keep_or_refund_text(order, schedule), view=keep_or_refund_view(order))

    async def refund_failed(self, order: Order, schedule: ScheduledSpace) -> None:
        # The member keeps the ticket they paid for (the role again, should a reconciliation have taken it while
        # the refund was pending); the host decides what to do next.
        if order.state is OrderState.PAID:
            await self._gate.grant(schedule, order.user_id)
        self._dms.send(schedule.host_id, refund_failed_text(order, schedule))
        self._changed(schedule.id)
