"""The Discord side of ticket events (`spaces_core.domain.ticket_events`): the holder's role, receipts and notices
by DM, and the seats left on the Space's cards.

Published by `TicketService` after the commit of what they announce, often from inside the Stripe webhook
request, so nothing here waits on a member: DMs go through the shared `DmSender` queue (a member who refuses DMs
only loses the message, never the ticket, and `/space share` gives the listen link again). Role changes are made
at once, because they are the access itself; a refused one is logged by the gate and redone at start-up. For
each event the role comes first, then the DM, then the cards (the bus runs a type's own handlers before those of
its base classes); one refused by Discord never stops the next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

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
from spaces_core.bus import MessageBus
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState
from spaces_core.domain.ticket_events import (
    CheckoutExpired,
    KeepOrRefundAsked,
    OfferChanged,
    OrderEvent,
    PaymentFailed,
    RefundFailed,
    TicketGranted,
    TicketRefunded,
    WaitlistOffered,
)
from spaces_core.domain.tickets import Order, OrderState

__all__ = ["register"]

PersonalLink = Callable[[str, int], str | None]  # (live Space id, member id) -> their listen link, if the web is on
Changed = Callable[[str], None]  # a scheduled Space's seats changed: redraw its cards

# DMs that are a pure function of the order and its Space.
_TEXTS: dict[type[OrderEvent], Callable[[Order, ScheduledSpace], str]] = {
    TicketRefunded: refunded_text,
    WaitlistOffered: waitlist_offer_text,
    CheckoutExpired: checkout_expired_text,
    PaymentFailed: payment_failed_text,
}


def register(
    bus: MessageBus, *, dms: DmSender, gate: TicketGate, personal_link: PersonalLink, changed: Changed
) -> None:
    """Subscribe the ticket handlers, the role first for each event (what the member may join comes before the
    message saying so)."""
    _register_roles(bus, gate)
    _register_dms(bus, dms, personal_link)

    async def redraw_cards(schedule: ScheduledSpace, event: OrderEvent | OfferChanged) -> None:
        if isinstance(event, OfferChanged) or event.seats_moved:
            changed(schedule.id)

    bus.subscribe(OrderEvent, redraw_cards, name="tickets.cards")
    bus.subscribe(OfferChanged, redraw_cards, name="tickets.cards")


def _register_roles(bus: MessageBus, gate: TicketGate) -> None:
    async def grant(schedule: ScheduledSpace, event: TicketGranted) -> None:
        await gate.grant(schedule, event.order.user_id)

    async def revoke(schedule: ScheduledSpace, event: TicketRefunded) -> None:
        await gate.revoke(schedule, event.order.user_id)

    async def give_back(schedule: ScheduledSpace, event: RefundFailed) -> None:
        # The member keeps the ticket they paid for (the role again, should a reconciliation have taken it while
        # the refund was pending); if the refund had succeeded before failing, the order stays refunded.
        if event.order.state is OrderState.PAID:
            await gate.grant(schedule, event.order.user_id)

    bus.subscribe(TicketGranted, grant, name="tickets.role.grant")
    bus.subscribe(TicketRefunded, revoke, name="tickets.role.revoke")
    bus.subscribe(RefundFailed, give_back, name="tickets.role.give_back")


def _register_dms(bus: MessageBus, dms: DmSender, personal_link: PersonalLink) -> None:
    async def receipt(schedule: ScheduledSpace, event: TicketGranted) -> None:
        link = None
        if schedule.state is ScheduleState.LIVE and schedule.live_space_id is not None:
            link = personal_link(schedule.live_space_id, event.order.user_id)
        dms.send(event.order.user_id, receipt_text(event.order, schedule, link))

    async def keep_or_refund(schedule: ScheduledSpace, event: KeepOrRefundAsked) -> None:
        dms.send(event.order.user_id, keep_or_refund_text(event.order, schedule), view=keep_or_refund_view(event.order))

    async def tell_host(schedule: ScheduledSpace, event: RefundFailed) -> None:
        dms.send(schedule.host_id, refund_failed_text(event.order, schedule))  # the host decides what next

    bus.subscribe(TicketGranted, receipt, name="tickets.dm.receipt")
    bus.subscribe(KeepOrRefundAsked, keep_or_refund, name="tickets.dm.keep_or_refund")
    bus.subscribe(RefundFailed, tell_host, name="tickets.dm.refund_failed")
    for kind, text in _TEXTS.items():
        bus.subscribe(kind, _dm(dms, text), name=f"tickets.dm.{kind.__name__}")


def _dm(
    dms: DmSender, text: Callable[[Order, ScheduledSpace], str]
) -> Callable[[ScheduledSpace, OrderEvent], Awaitable[None]]:
    async def tell(schedule: ScheduledSpace, event: OrderEvent) -> None:
        dms.send(event.order.user_id, text(event.order, schedule))

    return tell
