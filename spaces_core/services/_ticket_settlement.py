"""Applying what Stripe reports (a webhook event, or a Checkout read back by reconciliation) to our orders.

Runs inside the caller's transaction. Each fact is checked against our own order first (order id, session,
amount, currency); then it becomes one conditional transition, so a fact that arrives twice, late or out of
order finds the order elsewhere and changes nothing. Member-facing effects are queued in `AfterCommit`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from spaces_core.domain.payment_events import ChargeState, CheckoutState, EventOutcome, EventType, PaymentEvent
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState
from spaces_core.domain.tickets import Order, OrderState, RefundReason
from spaces_core.ports import UnitOfWork
from spaces_core.services._ticket_core import AfterCommit, TicketCore

__all__ = ["settle_charge", "settle_checkout", "settle_event"]

log = logging.getLogger("spaces_core.tickets")

_APPLIED, _UNCHANGED = EventOutcome.APPLIED, EventOutcome.UNCHANGED


async def settle_event(
    core: TicketCore, uow: UnitOfWork, event: PaymentEvent, now: datetime, effects: AfterCommit
) -> EventOutcome:
    if event.checkout is not None:
        return await settle_checkout(core, uow, event.checkout, EventType(event.type), now, effects)
    if event.charge is not None and event.type == EventType.CHARGE_REFUNDED:
        return await settle_charge(core, uow, event.charge, now, effects)
    if event.account is not None:
        stored = await uow.payouts.by_account(event.account.account_id)
        if stored is None:
            return EventOutcome.IGNORED
        if stored.ready == event.account.ready:
            return _UNCHANGED
        await uow.payouts.save(type(stored)(stored.host_id, stored.account_id, event.account.ready))
        return _APPLIED
    return EventOutcome.IGNORED


async def settle_checkout(
    core: TicketCore,
    uow: UnitOfWork,
    state: CheckoutState,
    kind: EventType | None,
    now: datetime,
    effects: AfterCommit,
) -> EventOutcome:
    """`kind`: the event type, or None for a session read from Stripe (its status alone says what happened)."""
    found = await uow.tickets.order_and_schedule(state.order_id) if state.order_id else None
    if found is None:
        return EventOutcome.IGNORED
    order, schedule = found
    why = state.mismatch(order)
    if why is not None:
        log.warning("Stripe checkout %s ignored: %s", state.session_id, why)
        return EventOutcome.MISMATCH
    if kind is EventType.ASYNC_FAILED:
        return await _fail(uow, order, schedule, state, effects)
    if state.status == "expired" and kind in (None, EventType.CHECKOUT_EXPIRED):
        return await _expire(uow, order, schedule, effects)
    if state.paid and kind in (None, EventType.CHECKOUT_COMPLETED, EventType.ASYNC_SUCCEEDED):
        return await _pay(core, uow, order, schedule, state, now, effects)
    if state.status == "complete" and kind in (None, EventType.CHECKOUT_COMPLETED):
        settling = await uow.tickets.move(
            order, OrderState.PROCESSING, payment_intent=state.payment_intent, checkout_session_id=state.session_id
        )
        return _APPLIED if settling is not None else _UNCHANGED
    return _UNCHANGED


async def _pay(
    core: TicketCore,
    uow: UnitOfWork,
    order: Order,
    schedule: ScheduledSpace,
    state: CheckoutState,
    now: datetime,
    effects: AfterCommit,
) -> EventOutcome:
    changes: dict[str, object] = {
        "payment_intent": state.payment_intent,
        "checkout_session_id": state.session_id,
        "paid_at": now,
    }
    if order.state in (OrderState.EXPIRED, OrderState.FAILED) or schedule.state not in (
        ScheduleState.UPCOMING,
        ScheduleState.LIVE,
    ):
        # Money for a seat we no longer hold, or for a Space that is off: it goes back, no ticket.
        reason = {
            ScheduleState.CANCELLED: RefundReason.CANCELLED,
            ScheduleState.MISSED: RefundReason.MISSED,
        }.get(schedule.state, RefundReason.LATE)
        due = await core.decide_refund(uow, order, reason, effects, **changes)
        return _APPLIED if due is not None else _UNCHANGED
    settled = await uow.tickets.pay(order, now, **changes)
    if settled is None:
        return _UNCHANGED
    paid, granted = settled
    if not granted:
        # Unreachable while one seat-holding order per member is enforced; never hand out a second ticket.
        log.error("order %s paid but member %s already holds a ticket: refunding it", order.id, order.user_id)
        await core.decide_refund(uow, paid, RefundReason.LATE, effects)
        return _APPLIED
    effects.note("granted", paid, schedule)  # (a member with an order is never on the waitlist: buy removed them)
    return _APPLIED


async def _expire(uow: UnitOfWork, order: Order, schedule: ScheduledSpace, effects: AfterCommit) -> EventOutcome:
    expired = await uow.tickets.move(order, OrderState.EXPIRED)
    if expired is None:
        return _UNCHANGED
    effects.note("checkout_expired", expired, schedule)
    await effects.seat_released(uow, expired)
    return _APPLIED


async def _fail(
    uow: UnitOfWork, order: Order, schedule: ScheduledSpace, state: CheckoutState, effects: AfterCommit
) -> EventOutcome:
    failed = await uow.tickets.move(order, OrderState.FAILED, payment_intent=state.payment_intent)
    if failed is None:
        return _UNCHANGED
    effects.note("payment_failed", failed, schedule)
    await effects.seat_released(uow, failed)
    return _APPLIED


async def settle_charge(
    core: TicketCore, uow: UnitOfWork, charge: ChargeState, now: datetime, effects: AfterCommit
) -> EventOutcome:
    """`charge.refunded`: the refund we asked for (or one made on Stripe's dashboard) went through."""
    found = await uow.tickets.order_and_schedule(charge.order_id) if charge.order_id else None
    if found is None:
        return EventOutcome.IGNORED
    order, schedule = found
    why = charge.mismatch(order)
    if why is not None:
        log.warning("Stripe charge %s ignored: %s", charge.charge_id, why)
        return EventOutcome.MISMATCH
    if not charge.fully_refunded:
        return _UNCHANGED  # we never refund part of a ticket; someone did on the dashboard: the ticket stays
    changes: dict[str, object] = {"refunded_at": now}
    if order.state is OrderState.PAID:
        changes["refund_reason"] = RefundReason.STRIPE
    refunded = await uow.tickets.move(order, OrderState.REFUNDED, **changes)
    if refunded is None:
        return _UNCHANGED
    await uow.tickets.revoke(order)
    effects.note("refunded", refunded, schedule)
    await effects.seat_released(uow, refunded)
    return _APPLIED
