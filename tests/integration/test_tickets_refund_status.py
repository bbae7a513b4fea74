"""A refund is done only when Stripe says it succeeded: pending refunds wait, failed ones give the member their
ticket back and tell the host why, and a refund made on Stripe's dashboard is found by its payment. The real
stripe SDK against the local Stripe server (which plays pending and failed refunds as Stripe's test cards do),
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tickets_support import HOST, StripeClock, Wired, add_schedule, wired

from spaces_core.domain.ticket_events import TicketRefunded
from spaces_core.domain.tickets import Checkout, OrderState, RefundReason
from spaces_core.ports import UnitOfWorkFactory

A, B = 10, 11


@pytest.fixture
async def w(uows: UnitOfWorkFactory) -> AsyncIterator[Wired]:
    async with wired(uows) as world:
        await add_schedule(uows, StripeClock(world.stripe).now())
        await world.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=2)
        yield world


async def _holder(w: Wired, member: int = A) -> str:
    bought = await w.service.buy(schedule_id="sched1", user_id=member)
    assert isinstance(bought, Checkout)
    await w.pay(bought)
    assert await w.service.is_holder("sched1", member)
    return bought.order_id


def _refund_ids(w: Wired) -> list[str]:
    return [str(r["id"]) for r in w.stripe.objects("refund")]


async def test_a_pending_refund_is_done_only_when_it_succeeds(w: Wired):
    order_id = await _holder(w)
    w.stripe.refund_status = "pending"

    asked = await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)

    assert (asked.state, asked.refund_id) == (OrderState.REFUND_DUE, _refund_ids(w)[0])
    assert w.told.of(TicketRefunded) == [] and await w.seats_taken("sched1") == 1
    assert await w.service.reconcile() == 0  # asks how it stands, makes no second refund
    assert (await w.order(order_id)).state is OrderState.REFUND_DUE and len(_refund_ids(w)) == 1

    await w.stripe.settle_refund(_refund_ids(w)[0])  # refund.updated: succeeded

    order = await w.order(order_id)
    assert (order.state, order.refund_reason) == (OrderState.REFUNDED, RefundReason.HOST)
    assert w.told.of(TicketRefunded) == [A] and await w.seats_taken("sched1") == 0


async def test_a_failed_refund_gives_the_ticket_back_and_tells_the_host(w: Wired):
    order_id = await _holder(w)
    w.stripe.refund_status = "pending"
    await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)
    assert not await w.service.is_holder("sched1", A)

    await w.stripe.settle_refund(_refund_ids(w)[0], succeeded=False, failure_reason="expired_or_canceled_card")

    order = await w.order(order_id)
    assert (order.state, order.refund_failure, order.refund_attempts) == (
        OrderState.PAID,
        "expired_or_canceled_card",
        1,
    )
    assert await w.service.is_holder("sched1", A) and await w.seats_taken("sched1") == 1
    assert w.told.failures == [(HOST.user_id, order_id, "expired_or_canceled_card")]
    assert w.told.of(TicketRefunded) == []
    assert w.stripe.objects("charge")[0]["amount_refunded"] == 0  # the money stayed with the host

    w.stripe.refund_status = "succeeded"  # the host tries again (the member gave a new card to their bank)
    again = await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)

    assert again.state is OrderState.REFUNDED and again.refund_failure is None
    assert len(_refund_ids(w)) == 2 and again.refund_id == _refund_ids(w)[1]  # a new refund, not a replay
    assert w.told.of(TicketRefunded) == [A] and not await w.service.is_holder("sched1", A)


async def test_a_refund_that_fails_after_succeeding_is_told_to_the_host(w: Wired):
    """Stripe's test card 4000 0000 0000 5126: the refund succeeds, then fails days later. The seat may be sold
    again by then, so the order stays refunded; the failure is recorded and the host told, once."""
    order_id = await _holder(w)
    await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)
    assert (await w.order(order_id)).state is OrderState.REFUNDED

    await w.stripe.settle_refund(_refund_ids(w)[0], succeeded=False, failure_reason="lost_or_stolen_card")

    order = await w.order(order_id)
    assert (order.state, order.refund_failure) == (OrderState.REFUNDED, "lost_or_stolen_card")
    assert w.told.failures == [(HOST.user_id, order_id, "lost_or_stolen_card")]  # refund.failed and the two
    assert not await w.service.is_holder("sched1", A)  # updates: told once


async def test_a_dashboard_refund_is_matched_by_its_payment(w: Wired):
    order_id = await _holder(w)
    charge = w.stripe.objects("charge")[0]
    charge["metadata"].clear()  # a payment whose charge carries none of our metadata
    intent = (await w.order(order_id)).payment_intent
    assert intent is not None

    refund = await w.stripe.dashboard_refund(intent)

    assert refund["metadata"] == {}
    order = await w.order(order_id)
    assert (order.state, order.refund_reason, order.refund_id) == (
        OrderState.REFUNDED,
        RefundReason.STRIPE,
        refund["id"],
    )
    assert not await w.service.is_holder("sched1", A) and w.told.of(TicketRefunded) == [A]
    assert await w.seats_taken("sched1") == 0


async def test_a_pending_dashboard_refund_revokes_the_ticket_until_it_settles(w: Wired):
    order_id = await _holder(w)
    intent = (await w.order(order_id)).payment_intent
    assert intent is not None
    w.stripe.refund_status = "pending"

    refund = await w.stripe.dashboard_refund(intent)

    due = await w.order(order_id)
    assert (due.state, due.refund_reason, due.refund_id) == (OrderState.REFUND_DUE, RefundReason.STRIPE, refund["id"])
    assert not await w.service.is_holder("sched1", A) and w.told.of(TicketRefunded) == []
    await w.service.reconcile()
    assert len(_refund_ids(w)) == 1  # we never refund what Stripe is refunding already
    await w.stripe.settle_refund(str(refund["id"]))
    assert (await w.order(order_id)).state is OrderState.REFUNDED and w.told.of(TicketRefunded) == [A]


async def test_a_partial_dashboard_refund_leaves_the_ticket(w: Wired):
    order_id = await _holder(w)
    intent = (await w.order(order_id)).payment_intent
    assert intent is not None

    await w.stripe.dashboard_refund(intent, amount=100)

    assert (await w.order(order_id)).state is OrderState.PAID and await w.service.is_holder("sched1", A)


async def test_refund_events_in_any_order_or_lost(w: Wired):
    """The success arrives before the creation (or the update is lost and reconciliation brings it): the order
    ends refunded once, whatever the order of arrival."""
    order_id = await _holder(w)
    w.stripe.refund_status = "pending"
    w.stripe.automatic_delivery = False
    await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)
    await w.stripe.settle_refund(_refund_ids(w)[0])
    created, updated = w.stripe.events("refund.created")[-1], w.stripe.events("refund.updated")[-1]

    await w.stripe.deliver(updated["id"])
    await w.stripe.deliver(created["id"])  # late: finds the order refunded, changes nothing
    await w.service.reconcile()

    assert (await w.order(order_id)).state is OrderState.REFUNDED
    assert w.told.of(TicketRefunded) == [A] and len(_refund_ids(w)) == 1
    assert w.outcomes[-2:] == ["applied", "unchanged"]
