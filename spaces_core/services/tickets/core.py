"""What the ticket use cases share: loading, new orders, opening a Checkout, waitlist promotion, refunds, and the
effects that may only happen after a commit (ticket events, Stripe calls).

Order of effects, everywhere: the database change commits first, with the Stripe calls it owes written in the
same transaction as `TicketAction`s (the outbox, see `tickets.outbox`); then its ticket events are published on
the message bus (the bot's handlers give roles, send DMs, redraw cards); then the calls are made (idempotency
keys from our records, so a retry repeats nothing) and their results stored. A crash between two steps leaves
the outbox rows, carried out at the next start or reconciliation (events are told at most once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import groupby
from uuid import uuid4

from spaces_core.bus import MessageBus
from spaces_core.domain.errors import NotFound, PaymentUnavailable, SpaceNotLive
from spaces_core.domain.payment_events import RefundResult, RefundStatus
from spaces_core.domain.rules import GuildPolicy
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.ticket_events import RefundFailed, TicketEvent, TicketRefunded, WaitlistOffered
from spaces_core.domain.tickets import (
    CHECKOUT_LIFETIME,
    ActionKind,
    Checkout,
    Order,
    OrderState,
    RefundReason,
    TicketAction,
    TicketOffer,
    WaitlistEntry,
    application_fee,
    check_on_sale,
)
from spaces_core.ports import Clock, TicketPayments, UnitOfWork, UnitOfWorkFactory

__all__ = ["INLINE", "LEASE", "AfterCommit", "TicketCore"]

log = logging.getLogger("spaces_core.tickets")

# Longer than any one action (a few Stripe requests with their timeouts): a runner that died frees it after this.
LEASE = timedelta(minutes=2)
# Set (to the actions to make) while a member's or host's request runs: see `ActionRunner.inline`.
INLINE: ContextVar[list[TicketAction] | None] = ContextVar("ticket_actions_inline", default=None)


@dataclass
class AfterCommit:
    """Effects decided inside a transaction: ticket events published once it has committed, and the Stripe calls
    it owes, saved with it as outbox rows by `TicketCore.commit`. Each event is kept with its Space, read in that
    transaction, so publishing it costs no second one."""

    events: list[tuple[ScheduledSpace, TicketEvent]] = field(default_factory=list)
    owed: list[tuple[ActionKind, str]] = field(default_factory=list)

    def record(self, event: TicketEvent, schedule: ScheduledSpace) -> None:
        self.events.append((schedule, event))

    def owe(self, kind: ActionKind, subject: str) -> None:
        if (kind, subject) not in self.owed:
            self.owed.append((kind, subject))

    async def seat_released(self, uow: UnitOfWork, order: Order) -> None:
        """Promote the waitlist after the commit, if anyone is on it (most releases find nobody waiting)."""
        if await uow.tickets.has_waiting(order.schedule_id):
            self.owe(ActionKind.PROMOTE, order.schedule_id)


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
        bus: MessageBus,
        id_factory: Callable[[], str],
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.payments = payments
        self.bus = bus
        self.id_factory = id_factory
        self.wake: Callable[[], None] = lambda: None  # the outbox worker's, once it runs

    async def commit(self, uow: UnitOfWork, effects: AfterCommit) -> None:
        """Commit with the Stripe calls the transaction owes written in it: decided and owed, or neither."""
        now = self.clock.now()
        actions = [TicketAction(uuid4().hex, kind, subject, now) for kind, subject in effects.owed]
        effects.owed = []
        inline = INLINE.get()
        await uow.ticket_actions.add(actions, now, claimed_until=now + LEASE if inline is not None else None)
        await uow.commit()
        if inline is not None:
            inline.extend(actions)

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
        """Publish what a committed transaction decided (a batch per Space, in the order recorded), and wake the
        worker for the calls it owes."""
        recorded, effects.events = effects.events, []
        for _, batch in groupby(recorded, key=lambda pair: pair[0].id):
            pairs = list(batch)
            await self.publish(pairs[-1][0], [event for _, event in pairs])
        self.wake()

    async def publish(self, schedule: ScheduledSpace, events: list[TicketEvent]) -> None:
        """Hand committed events to the bus. A handler's failure (DMs closed, Discord down) is the bus's to log and
        never undoes what was committed, nor fails the request (a webhook) that committed it."""
        try:
            await self.bus.publish(schedule, events)
        except Exception:
            log.exception("ticket events of %s not all handled: %r", schedule.id, events)

    # --- refunds ------------------------------------------------------------------------------------------

    async def decide_refund(
        self, uow: UnitOfWork, order: Order, reason: RefundReason, effects: AfterCommit, **changes: object
    ) -> Order | None:
        """paid (or a late payment) → refund_due, the ticket revoked at once; the Stripe call is owed. After a
        failed refund, this is a new one (the old refund's id and failure are cleared; the key moves on)."""
        if order.refund_id is not None or order.refund_failure is not None:
            changes = {**changes, "refund_id": None, "refund_failure": None}
        due = await uow.tickets.move(order, OrderState.REFUND_DUE, refund_reason=reason, **changes)
        if due is not None:
            await uow.tickets.revoke(order)
            effects.owe(ActionKind.REFUND, due.id)
        return due

    async def refund_order(self, order_id: str) -> bool:
        """The outbox's refund action: ask Stripe for the order's refund if it is still due. True when there is
        nothing more to do now (done, or pending at Stripe, whose refund.updated finishes it)."""
        async with self.uow_factory() as uow:
            order = await uow.tickets.order(order_id)
        if order is None or order.state is not OrderState.REFUND_DUE:
            return True
        return await self.refund_now(order) is not None

    async def refund_now(self, order: Order) -> RefundResult | None:
        """Ask Stripe for the refund of a refund_due order (`order.refund_key`, so once however often this runs;
        once its refund is known, its status is read instead). Only `succeeded` refunds the order; `pending`
        waits (the refund id is kept); `failed` gives the member their ticket back and tells the host.
        Stripe's answer, or None when it could not be reached (retried later)."""
        try:
            result = await self.payments.refund(order)
        except PaymentUnavailable as error:
            log.warning("refund of order %s postponed: %s", order.id, error)
            return None
        effects = AfterCommit()
        async with self.uow_factory() as uow:
            await self._refund_answered(uow, order, result, effects)
            await self.commit(uow, effects)
        await self.after(effects)
        return result

    async def _refund_answered(self, uow: UnitOfWork, order: Order, result: RefundResult, effects: AfterCommit) -> None:
        if result.status is RefundStatus.SUCCEEDED:
            done = await uow.tickets.move(
                order, OrderState.REFUNDED, refunded_at=self.clock.now(), refund_id=result.refund_id or order.refund_id
            )
            if done is not None:
                effects.record(TicketRefunded(done), await load_schedule(uow, order.schedule_id))
                await effects.seat_released(uow, done)
        elif result.status.failed:
            await self.refund_failed(uow, order, result.refund_id, result.failure_reason, effects)
        elif result.refund_id is not None and result.refund_id != order.refund_id:
            log.info("refund %s of order %s is %s at Stripe", result.refund_id, order.id, result.status)
            await uow.tickets.set_refund(order.id, result.refund_id)

    async def refund_failed(
        self, uow: UnitOfWork, order: Order, refund_id: str | None, failure: str | None, effects: AfterCommit
    ) -> Order | None:
        """Stripe could not return the money: the member's money is still with the host, so they keep the ticket
        (paid again, ticket back; if the refund had already succeeded, the order only records the failure) and
        the host is told why, to refund them another way or try again."""
        changed = await uow.tickets.refund_failed(order, refund_id, failure or "unknown", self.clock.now())
        if changed is not None:
            log.warning("refund of order %s failed at Stripe (%s); now %s", order.id, failure, changed.state)
            effects.record(RefundFailed(changed), await load_schedule(uow, order.schedule_id))
        return changed

    # --- the waitlist -------------------------------------------------------------------------------------

    async def promote(self, schedule_id: str) -> int:
        """Free seats go to the waitlist, first come first served: an order is made for the first member (their
        seat is held for the Checkout's lifetime) with its Checkout owed to the outbox, which opens it and sends
        the link. The member stays on the waitlist until the link is made, so a Stripe failure loses no place."""
        offered = 0
        while True:
            now = self.clock.now()
            effects = AfterCommit()
            async with self.uow_factory() as uow:
                schedule = await load_schedule(uow, schedule_id)
                offer = await uow.tickets.offer(schedule_id)
                if offer is None or not _on_sale(schedule):
                    return offered
                # The seat first, then the member: the same lock order as a buyer's (offer row, then the waitlist
                # row their order removes), so a member pressing Buy while being promoted can't deadlock with it.
                if not await uow.tickets.take_seat(schedule_id):
                    return offered
                waiting = await uow.tickets.waiting(schedule_id)  # (members holding a seat are skipped)
                if not waiting:
                    return offered  # leaving the block without commit gives the seat back
                order = await self.new_order(uow, schedule, offer, waiting[0].user_id, now)
                if not await uow.tickets.add_order(order):
                    return offered  # they got a seat some other way in the meantime
                effects.owe(ActionKind.CHECKOUT, order.id)
                await self.commit(uow, effects)
            offered += 1
            self.wake()

    async def checkout_for_waiting(self, order_id: str) -> bool:
        """The outbox's checkout action: open the Checkout of an order made for a waiting member, take them off
        the waitlist and send them the link. If Stripe fails, the order fails (its seat goes back) and the member
        keeps their place; reconciliation promotes again."""
        async with self.uow_factory() as uow:
            found = await uow.tickets.order_and_schedule(order_id)
        if found is None or found[0].state is not OrderState.PENDING:
            return True
        order, schedule = found
        url = order.checkout_url
        if url is None:
            try:
                checkout = await self.open_checkout(order, schedule.title)
            except PaymentUnavailable:
                return True
            if checkout is None:
                return True
            url = checkout.url
        async with self.uow_factory() as uow:
            await uow.tickets.leave_waitlist(order.schedule_id, order.user_id)
            await uow.commit()
        await self.publish(schedule, [WaitlistOffered(replace(order, checkout_url=url))])
        return True


def _on_sale(schedule: ScheduledSpace) -> bool:
    try:
        check_on_sale(schedule)
    except SpaceNotLive:
        return False
    return True
