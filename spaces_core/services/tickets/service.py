"""Ticketed Spaces: terms, buying (or the waitlist), Stripe's events applied exactly once, reconciliation,
refunds, and the host's sales. See docs/TICKETS.md for the model and `tickets.core` for the order of effects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from uuid import uuid4

from spaces_core.bus import MessageBus
from spaces_core.domain.errors import Conflict, InvalidInput, NotFound
from spaces_core.domain.payment_events import HANDLED_EVENTS, EventOutcome, PaymentEvent
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduleState
from spaces_core.domain.ticket_events import KeepOrRefundAsked, OfferChanged
from spaces_core.domain.ticket_sales import SalesReport
from spaces_core.domain.tickets import (
    AlreadyHolder,
    Checkout,
    HolderChoice,
    Order,
    OrderState,
    Purchase,
    RefundReason,
    TicketOffer,
    Waitlisted,
    check_on_sale,
    check_quantity,
    price_cents,
    require_ticket_manager,
)
from spaces_core.ports import Clock, TicketPayments, UnitOfWork, UnitOfWorkFactory
from spaces_core.services.tickets.core import AfterCommit, TicketCore, load_schedule
from spaces_core.services.tickets.outbox import ActionRunner, ActionWorker
from spaces_core.services.tickets.reconciliation import Reconciler
from spaces_core.services.tickets.settlement import settle_event

__all__ = ["TicketService"]

log = logging.getLogger("spaces_core.tickets")
_NOT_TICKETED = "This Space isn't ticketed."


class TicketService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        payments: TicketPayments,
        bus: MessageBus,
        *,
        id_factory: Callable[[], str] = lambda: uuid4().hex,
    ) -> None:
        """`bus`: where the ticket events (`spaces_core.domain.ticket_events`) go once their change has committed,
        with the `ScheduledSpace` as the aggregate."""
        self._core = TicketCore(uow_factory, clock, payments, bus, id_factory)
        self._uow_factory = uow_factory
        self._clock = clock
        self._actions = ActionRunner(self._core)
        self._worker = ActionWorker(self._actions)
        self._reconciler = Reconciler(self._core, self.apply, self._actions)

    # --- the outbox worker (Stripe calls owed by committed changes) ---------------------------------------

    def start(self) -> None:
        """Run the worker that makes the Stripe calls webhooks decided (it first drains what a crash left)."""
        self._core.wake = self._worker.wake
        self._worker.start()

    async def stop(self) -> None:
        self._core.wake = lambda: None
        await self._worker.stop()

    async def drain(self) -> int:
        """Make every Stripe call still owed now (what the worker does); how many were carried out."""
        return await self._actions.drain()

    async def owed(self) -> int:
        """How many Stripe calls are still owed (0 once the worker has caught up)."""
        return await self._actions.pending()

    # --- terms --------------------------------------------------------------------------------------------

    async def set_offer(self, *, actor: Actor, schedule_id: str, price: int, quantity: int | None) -> TicketOffer:
        """Make a Space ticketed, or change its price (for orders from now on) and cap (never below seats taken)."""
        async with self._uow_factory() as uow:
            schedule = await load_schedule(uow, schedule_id)
            require_ticket_manager(actor, schedule.host_id, "set ticket prices for this Space")
            check_on_sale(schedule)
            existing = await uow.tickets.offer(schedule_id)
            currency = existing.currency if existing else (await uow.policies.get(schedule.guild_id)).ticket_currency
            cents = price_cents(price, currency)
            check_quantity(quantity, existing.seats_taken if existing else 0)
            if existing is None:
                offer = TicketOffer(schedule_id, schedule.guild_id, schedule.host_id, cents, currency, quantity)
                await uow.tickets.add_offer(offer)
            elif not await uow.tickets.set_terms(schedule_id, cents, quantity):
                raise InvalidInput("More tickets were sold meanwhile than that number: nothing was changed.")
            saved = await uow.tickets.offer(schedule_id)
            await uow.commit()
        assert saved is not None
        await self._core.publish(schedule, [OfferChanged(schedule_id)])
        async with self._actions.inline():
            await self._core.promote(schedule_id)  # a larger cap frees seats for the waitlist
        return saved

    async def offer(self, schedule_id: str) -> TicketOffer | None:
        async with self._uow_factory() as uow:
            return await uow.tickets.offer(schedule_id)

    # --- buying -------------------------------------------------------------------------------------------

    async def buy(self, *, schedule_id: str, user_id: int) -> Purchase:
        """A Checkout link (a seat held for its lifetime), the waitlist when sold out, or "you have one".
        Raises `PaymentUnavailable` when Stripe can't be reached (the seat is released again)."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            schedule = await load_schedule(uow, schedule_id)
            offer = await uow.tickets.offer(schedule_id)
            if offer is None:
                raise InvalidInput(_NOT_TICKETED)
            check_on_sale(schedule)
            if user_id == schedule.host_id:
                raise Conflict("You host this Space: you don't need a ticket.")
            existing = await uow.tickets.active_order(schedule_id, user_id)
            if existing is not None:
                return _current(existing)
            if not await uow.tickets.take_seat(schedule_id):
                position, already = await uow.tickets.join_waitlist(schedule_id, user_id, now)
                await uow.commit()
                return Waitlisted(position, already)
            order = await self._core.new_order(uow, schedule, offer, user_id, now)
            if not await uow.tickets.add_order(order):  # a second click of the same member won the race
                raise Conflict("Your Checkout link is on its way: press Buy again in a moment.")
            entry = await uow.tickets.leave_waitlist(schedule_id, user_id)
            await uow.commit()
        await self._core.publish(schedule, [OfferChanged(schedule_id)])  # a seat is held: "seats left" moves
        checkout = await self._core.open_checkout(order, schedule.title, entry)
        if checkout is not None:
            return checkout
        async with self._uow_factory() as uow:  # a webhook moved the order before we stored its link
            moved = await uow.tickets.order(order.id)
        assert moved is not None
        return _current(moved)

    # --- Stripe's side ----------------------------------------------------------------------------------

    async def apply(self, event: PaymentEvent) -> EventOutcome:
        """Apply one provider event, exactly once per event id: the id is recorded in the transaction of the
        effects, as its last statement but the outbox rows. A repeat finds the order already moved (its conditional
        UPDATE changes nothing; on PostgreSQL a concurrent one first waits for the row lock) and then hits the id's
        key: it is rolled back, and its after-commit effects are dropped with it. The Stripe calls an event leads
        to (a refund, a waitlist Checkout) are only written to the outbox here: the webhook is answered without
        waiting for Stripe, and the worker (`start`) makes them."""
        if event.type not in HANDLED_EVENTS:
            return EventOutcome.IGNORED
        now = self._clock.now()
        effects = AfterCommit()
        async with self._uow_factory() as uow:
            outcome = await settle_event(self._core, uow, event, now, effects)
            if not await uow.tickets.record_event(event.id, event.type, outcome.value, now):
                return EventOutcome.DUPLICATE  # leaving without commit rolls back whatever the repeat did
            await self._core.commit(uow, effects)
        log.info("payment event %s (%s): %s", event.id, event.type, outcome.value)
        await self._core.after(effects)
        return outcome

    async def reconcile(self, *, lookback: timedelta = timedelta(hours=25)) -> int:
        """Repair what lost webhooks and crashes left behind (see `tickets.reconciliation`); the number of repairs.
        Idempotent: running it twice, or next to live webhooks, changes nothing more."""
        async with self._actions.inline():
            return await self._reconciler.run(lookback)

    # --- refunds ------------------------------------------------------------------------------------------

    async def refund_all(self, schedule_id: str, *, reason: RefundReason) -> int:
        """The Space was cancelled or missed: every ticket is refunded once, open Checkouts are closed, and the
        waitlist is cleared. Returns how many tickets are being refunded."""
        async with self._actions.inline():
            effects = AfterCommit()
            async with self._uow_factory() as uow:
                schedule = await load_schedule(uow, schedule_id)
                if schedule.state not in (ScheduleState.CANCELLED, ScheduleState.MISSED):
                    raise Conflict("Tickets are refunded all at once only when a Space is cancelled or missed.")
                paid = await uow.tickets.orders(schedule_id=schedule_id, states=(OrderState.PAID,))
                for order in paid:
                    await self._core.decide_refund(uow, order, reason, effects)
                await uow.tickets.clear_waitlist(schedule_id)
                open_orders = await uow.tickets.orders(schedule_id=schedule_id, states=(OrderState.PENDING,))
                await self._core.commit(uow, effects)
            await self._core.after(effects)
            for order in open_orders:  # nobody may pay for a Space that is off (a payment in flight is refunded)
                await self._reconciler.close_checkout(order)
        return len(paid)

    async def rescheduled(self, schedule_id: str) -> list[Order]:
        """The Space moved: every holder is asked Keep or Refund (no answer keeps the ticket)."""
        async with self._uow_factory() as uow:
            schedule = await load_schedule(uow, schedule_id)
            asked = await uow.tickets.ask_holders(schedule_id)
            await uow.commit()
        await self._core.publish(schedule, [KeepOrRefundAsked(order) for order in asked])
        return asked

    async def keep(self, *, order_id: str, user_id: int) -> Order:
        async with self._uow_factory() as uow:
            order = await _owned(uow, order_id, user_id)
            if order.state is not OrderState.PAID:
                raise Conflict("This ticket is no longer valid: there is nothing to keep.")
            await uow.tickets.set_choice(order_id, HolderChoice.KEEP, only_from=(HolderChoice.ASK, HolderChoice.KEEP))
            await uow.commit()
            return await _owned(uow, order_id, user_id)

    async def refund_own(self, *, order_id: str, user_id: int) -> Order:
        """The holder chose Refund after a reschedule (possible until the Space starts)."""
        async with self._actions.inline():
            effects = AfterCommit()
            async with self._uow_factory() as uow:
                order = await _owned(uow, order_id, user_id)
                order.require_refundable_by_holder()
                if (await load_schedule(uow, order.schedule_id)).state is not ScheduleState.UPCOMING:
                    raise Conflict("This Space has started: refunds after the reschedule were open until then.")
                if await self._core.decide_refund(uow, order, RefundReason.HOLDER, effects) is None:
                    raise Conflict("This ticket is already refunded (or being refunded).")
                await self._core.commit(uow, effects)
            await self._core.after(effects)
        return await self._order(order_id)

    async def refund_member(self, *, actor: Actor, schedule_id: str, user_id: int) -> Order:
        """The host (or an admin) refunds one member's ticket."""
        async with self._actions.inline():
            effects = AfterCommit()
            async with self._uow_factory() as uow:
                schedule = await load_schedule(uow, schedule_id)
                require_ticket_manager(actor, schedule.host_id, "refund tickets")
                order = await uow.tickets.active_order(schedule_id, user_id)
                if order is not None and order.state is OrderState.REFUND_DUE:
                    raise Conflict("That member's ticket is already being refunded.")
                if order is None or order.state is not OrderState.PAID:
                    raise NotFound("That member has no ticket for this Space.")
                if await self._core.decide_refund(uow, order, RefundReason.HOST, effects) is None:
                    raise Conflict("That member's ticket changed at the same moment; try again.")
                await self._core.commit(uow, effects)
            await self._core.after(effects)
        return await self._order(order.id)

    # --- reading ------------------------------------------------------------------------------------------

    async def holders(self, schedule_id: str) -> list[int]:
        async with self._uow_factory() as uow:
            return await uow.tickets.holders(schedule_id)

    async def is_holder(self, schedule_id: str, user_id: int) -> bool:
        async with self._uow_factory() as uow:
            return await uow.tickets.is_holder(schedule_id, user_id)

    async def sales(self, *, actor: Actor, schedule_id: str) -> SalesReport:
        async with self._uow_factory() as uow:
            schedule = await load_schedule(uow, schedule_id)
            require_ticket_manager(actor, schedule.host_id, "see this Space's sales")
            offer = await uow.tickets.offer(schedule_id)
            if offer is None:
                raise InvalidInput(_NOT_TICKETED)
            orders = await uow.tickets.orders(schedule_id=schedule_id)
        return SalesReport.of(schedule_id, orders, offer.currency)

    async def _order(self, order_id: str) -> Order:
        async with self._uow_factory() as uow:
            order = await uow.tickets.order(order_id)
        if order is None:
            raise NotFound("That ticket doesn't exist.")
        return order


async def _owned(uow: UnitOfWork, order_id: str, user_id: int) -> Order:
    order = await uow.tickets.order(order_id)
    if order is None:
        raise NotFound("That ticket doesn't exist.")
    order.require_owner(user_id)
    return order


def _current(order: Order) -> Purchase:
    """What a member who already has an order gets from Buy."""
    if order.state is OrderState.PAID:
        return AlreadyHolder(order.id)
    if order.state is OrderState.PENDING and order.checkout_url:
        return Checkout(order.id, order.checkout_url, order.expires_at, reused=True)
    if order.state is OrderState.PENDING:
        raise Conflict("Your Checkout link is on its way: press Buy again in a moment.")
    if order.state is OrderState.PROCESSING:
        raise Conflict("Your payment is still being processed: your ticket comes as soon as it clears.")
    raise Conflict("Your ticket is being refunded; you can buy again once the refund has gone through.")
