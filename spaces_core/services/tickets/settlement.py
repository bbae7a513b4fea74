"""Applying what Stripe reports (a webhook event, or a Checkout read back by reconciliation) to our orders.

Runs inside the caller's transaction. Each fact is checked against our own order first (order id, session,
amount, currency); then it becomes one conditional transition, so a fact that arrives twice, late or out of
order finds the order elsewhere and changes nothing. Ticket events are recorded in `AfterCommit`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from spaces_core.domain.payment_events import (
    CheckoutState,
    EventOutcome,
    EventType,
    PaymentEvent,
    RefundState,
    RefundStatus,
)
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState
from spaces_core.domain.ticket_events import CheckoutExpired, PaymentFailed, TicketGranted, TicketRefunded
from spaces_core.domain.tickets import Order, OrderState, RefundReason
from spaces_core.ports import UnitOfWork
from spaces_core.services.tickets.core import AfterCommit, TicketCore

__all__ = ["settle_checkout", "settle_event", "settle_refund"]

log = logging.getLogger("spaces_core.tickets")

_APPLIED, _UNCHANGED = EventOutcome.APPLIED, EventOutcome.UNCHANGED


async def settle_event(
    core: TicketCore, uow: UnitOfWork, event: PaymentEvent, now: datetime, effects: AfterCommit
) -> EventOutcome:
    if event.checkout is not None:
        return await settle_checkout(core, uow, event.checkout, EventType(event.type), now, effects)
    if event.refund is not None:
        return await settle_refund(core, uow, event.refund, now, effects)
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
        return await _release(
            uow, order, schedule, effects, OrderState.FAILED, PaymentFailed, payment_intent=state.payment_intent
        )
    if state.status == "expired" and kind in (None, EventType.CHECKOUT_EXPIRED):
        return await _release(uow, order, schedule, effects, OrderState.EXPIRED, CheckoutExpired)
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
    effects.record(TicketGranted(paid), schedule)  # (a member with an order is never on the waitlist: buy removed them)
    return _APPLIED


async def _release(
    uow: UnitOfWork,
    order: Order,
    schedule: ScheduledSpace,
    effects: AfterCommit,
    to: OrderState,
    told: type[CheckoutExpired | PaymentFailed],
    **changes: object,
) -> EventOutcome:
    """An unpaid order ends (its Checkout expired, or its delayed payment failed): its seat goes back, the member
    is told, and the waitlist moves up."""
    ended = await uow.tickets.move(order, to, **changes)
    if ended is None:
        return _UNCHANGED
    effects.record(told(ended), schedule)
    await effects.seat_released(uow, ended)
    return _APPLIED


async def settle_refund(
    core: TicketCore, uow: UnitOfWork, refund: RefundState, now: datetime, effects: AfterCommit
) -> EventOutcome:
    """A Refund's status, ours or one made on Stripe's dashboard (found by its PaymentIntent: it carries none of
    our metadata). `succeeded`: the order is refunded. `failed` / `canceled`: our refund_due order is paid again
    and the host told (a refund that failed after succeeding is recorded and told; the order stays refunded).
    `pending`: ours waits; a dashboard refund of a paid ticket revokes it now (the money is on its way back)
    and is finished by the refund's next update."""
    if refund.order_id is not None:
        found = await uow.tickets.order_and_schedule(refund.order_id)
    else:
        found = await uow.tickets.order_and_schedule(payment_intent=refund.payment_intent)
    if found is None:
        return EventOutcome.IGNORED
    order, schedule = found
    why = refund.mismatch(order)
    if why is not None:
        log.warning("Stripe refund %s ignored: %s", refund.refund_id, why)
        return EventOutcome.MISMATCH
    if not refund.whole(order):
        return _UNCHANGED  # we never refund part of a ticket; someone did on the dashboard: the ticket stays
    if refund.status is RefundStatus.SUCCEEDED:
        return await _refunded(uow, order, schedule, refund, now, effects)
    if refund.status.failed:
        return await _failed(core, uow, order, refund, effects)
    if order.state is OrderState.PAID and order.refund_id != refund.refund_id:
        due = await uow.tickets.move(
            order, OrderState.REFUND_DUE, refund_reason=RefundReason.STRIPE, refund_id=refund.refund_id
        )
        if due is None:
            return _UNCHANGED
        await uow.tickets.revoke(order)
        return _APPLIED
    if order.state is OrderState.REFUND_DUE and order.refund_id is None:
        return _APPLIED if await uow.tickets.set_refund(order.id, refund.refund_id) else _UNCHANGED
    return _UNCHANGED


async def _failed(
    core: TicketCore, uow: UnitOfWork, order: Order, refund: RefundState, effects: AfterCommit
) -> EventOutcome:
    waited_for = order.state is OrderState.REFUND_DUE and order.refund_id in (None, refund.refund_id)
    failed_after = order.state is OrderState.REFUNDED and order.refund_id == refund.refund_id
    if not (waited_for or failed_after):
        return _UNCHANGED  # not this order's refund (an older one), or the order moved on
    changed = await core.refund_failed(uow, order, refund.refund_id, refund.failure_reason, effects)
    return _APPLIED if changed is not None else _UNCHANGED


async def _refunded(
    uow: UnitOfWork,
    order: Order,
    schedule: ScheduledSpace,
    refund: RefundState,
    now: datetime,
    effects: AfterCommit,
) -> EventOutcome:
    changes: dict[str, object] = {"refunded_at": now, "refund_id": refund.refund_id}
    if order.state is OrderState.PAID:
        changes["refund_reason"] = RefundReason.STRIPE
    refunded = await uow.tickets.move(order, OrderState.REFUNDED, **changes)
    if refunded is None:
        return _UNCHANGED
    await uow.tickets.revoke(order)
    effects.record(TicketRefunded(refunded), schedule)
    await effects.seat_released(uow, refunded)
    return _APPLIED
