"""What the ticket use cases share: loading, new orders, opening a Checkout, waitlist promotion, refunds, and the
effects that may only happen after a commit (DMs, Stripe calls).

Order of effects, everywhere: the database change commits first; then Stripe is called (with an idempotency key
from our records, so a retry repeats nothing); then the result is stored; then the member is told. A crash
between two steps leaves a state `TicketService.reconcile` repairs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from spaces_core.domain.errors import NotFound, PaymentUnavailable, SpaceNotLive
from spaces_core.domain.rules import GuildPolicy
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.tickets import (
    CHECKOUT_LIFETIME,
    Checkout,
    Order,
    OrderState,
    RefundReason,
    TicketOffer,
    WaitlistEntry,
    application_fee,
    check_on_sale,
)
from spaces_core.ports import Clock, TicketNotifier, TicketPayments, UnitOfWork, UnitOfWorkFactory

__all__ = ["AfterCommit", "Note", "TicketCore"]

log = logging.getLogger("spaces_core.tickets")

Note = Literal["granted", "refunded", "waitlist_offer", "checkout_expired", "payment_failed", "keep_or_refund"]


@dataclass
class AfterCommit:
    """Effects decided inside a transaction, run only once it has committed. Notes carry the Space, read in that
    transaction, so telling a member costs no second one."""

    notes: list[tuple[Note, Order, ScheduledSpace]] = field(default_factory=list)
    refunds: list[Order] = field(default_factory=list)
    promote: set[str] = field(default_factory=set)

    def note(self, kind: Note, order: Order, schedule: ScheduledSpace) -> None:
        self.notes.append((kind, order, schedule))

    async def seat_released(self, uow: UnitOfWork, order: Order) -> None:
        """Promote the waitlist after the commit, if anyone is on it (most releases find nobody waiting)."""
        if await uow.tickets.has_waiting(order.schedule_id):
            self.promote.add(order.schedule_id)


async def load_schedule(uow: UnitOfWork, schedule_id: str) -> ScheduledSpace:
    schedule = await uow.schedules.get(schedule_id)
    if schedule is None:
        raise NotFound("That scheduled Space doesn't exist any more.")
    return schedule


class TicketCore:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        payments: TicketPayments,
        notifier: TicketNotifier,
        id_factory: Callable[[], str],
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.payments = payments
        self.notifier = notifier
        self.id_factory = id_factory

    async def new_order(
        self, uow: UnitOfWork, schedule: ScheduledSpace, offer: TicketOffer, user_id: int, now: datetime
    ) -> Order:
        """The order a seat was just taken for: paid to the host's Connect account when it is ready (less the
        server's fee), else to the server's own Stripe account. Every Checkout parameter is fixed here, so a
        retried Checkout request is identical to the first (Stripe's idempotency demands it)."""
        payout = await uow.payouts.get(schedule.host_id)
        destination = payout.account_id if payout is not None and payout.ready else None
        policy: GuildPolicy = await uow.policies.get(schedule.guild_id)
        return Order(
            id=self.id_factory(),
            schedule_id=schedule.id,
            user_id=user_id,
            state=OrderState.PENDING,
            amount_cents=offer.price_cents,
            currency=offer.currency,
            created_at=now,
            expires_at=now + CHECKOUT_LIFETIME,
            fee_cents=application_fee(offer.price_cents, policy.ticket_fee_bps) if destination else 0,
            destination=destination,
        )

    async def open_checkout(self, order: Order, title: str, entry: WaitlistEntry | None = None) -> Checkout | None:
        """Create the order's Checkout and store it. If Stripe fails, the seat is released (and a member taken
        from the waitlist put back in their place) before PaymentUnavailable goes up: nothing is left held.
        None when the order moved on meanwhile (a webhook got there first)."""
        try:
            link = await self.payments.open_checkout(order, title=title)
        except PaymentUnavailable:
            async with self.uow_factory() as uow:
                await uow.tickets.move(order, OrderState.FAILED)
                if entry is not None:
                    await uow.tickets.restore_waitlist(entry)
                await uow.commit()
            raise
        async with self.uow_factory() as uow:
            stored = await uow.tickets.set_checkout(order.id, link.session_id, link.url)
            await uow.commit()
        return Checkout(order.id, link.url, order.expires_at) if stored else None

    async def after(self, effects: AfterCommit) -> None:
        """Run what a committed transaction decided. Refunds and promotions may decide more; all of it runs."""
        while effects.notes or effects.refunds or effects.promote:
            notes, effects.notes = effects.notes, []
            for kind, order, schedule in notes:
                await self.tell(kind, order, schedule)
            refunds, effects.refunds = effects.refunds, []
            for order in refunds:
                await self.refund_now(order, effects)
            promote, effects.promote = effects.promote, set()
            for schedule_id in sorted(promote):
                await self.promote(schedule_id)

    async def tell(self, kind: Note, order: Order, schedule: ScheduledSpace) -> None:
        """A member-facing message; its failure (DMs closed, Discord down) never undoes what was committed."""
        try:
            await getattr(self.notifier, kind)(order, schedule)
        except Exception:
            log.exception("could not tell member %s (%s, order %s)", order.user_id, kind, order.id)

    async def refund_now(self, order: Order, effects: AfterCommit) -> bool:
        """Ask Stripe for the refund of a refund_due order (key: the order id, so once however often this runs).
        Confirmed by the answer or by charge.refunded, whichever comes first; the other changes nothing."""
        try:
            result = await self.payments.refund(order)
        except PaymentUnavailable as error:
            log.warning("refund of order %s postponed (reconcile resumes it): %s", order.id, error)
            return False
        if not result.settled:
            log.warning("refund of order %s not settled by Stripe yet; waiting for charge.refunded", order.id)
            return False
        async with self.uow_factory() as uow:
            done = await uow.tickets.move(
                order, OrderState.REFUNDED, refunded_at=self.clock.now(), refund_id=result.refund_id
            )
            if done is not None:
                effects.note("refunded", done, await load_schedule(uow, order.schedule_id))
                await effects.seat_released(uow, done)
            await uow.commit()
        return True

    async def decide_refund(
        self, uow: UnitOfWork, order: Order, reason: RefundReason, effects: AfterCommit, **changes: object
    ) -> Order | None:
        """paid (or a late payment) → refund_due, the ticket revoked at once; the Stripe call follows the commit."""
        due = await uow.tickets.move(order, OrderState.REFUND_DUE, refund_reason=reason, **changes)
        if due is not None:
            await uow.tickets.revoke(order)
            effects.refunds.append(due)
        return due

    async def promote(self, schedule_id: str) -> int:
        """Free seats go to the waitlist, first come first served: an order is made for the first member (their
        seat is held for the Checkout's lifetime) and they are sent its link. Stops if Stripe is down (the member
        keeps their place; reconcile tries again)."""
        offered = 0
        while True:
            now = self.clock.now()
            async with self.uow_factory() as uow:
                schedule = await load_schedule(uow, schedule_id)
                offer = await uow.tickets.offer(schedule_id)
                if offer is None or not _on_sale(schedule):
                    return offered
                # The seat first, then the member: the same lock order as a buyer's (offer row, then the waitlist
                # row their order removes), so a member pressing Buy while being promoted can't deadlock with it.
                if not await uow.tickets.take_seat(schedule_id):
                    return offered
                waiting = await uow.tickets.waiting(schedule_id)
                if not waiting:
                    return offered  # leaving the block without commit gives the seat back
                entry = waiting[0]
                order = await self.new_order(uow, schedule, offer, entry.user_id, now)
                if not await uow.tickets.add_order(order):
                    return offered  # they got a seat some other way in the meantime
                await uow.tickets.leave_waitlist(schedule_id, entry.user_id)
                await uow.commit()
            try:
                checkout = await self.open_checkout(order, schedule.title, entry)
            except PaymentUnavailable:
                return offered
            if checkout is not None:
                offered += 1
                await self.tell("waitlist_offer", _with_link(order, checkout), schedule)


def _on_sale(schedule: ScheduledSpace) -> bool:
    try:
        check_on_sale(schedule)
    except SpaceNotLive:
        return False
    return True


def _with_link(order: Order, checkout: Checkout) -> Order:
    return replace(order, checkout_url=checkout.url)
