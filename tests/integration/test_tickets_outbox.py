"""The Stripe calls a webhook leads to are made after it is answered, from the outbox, and a crash after the answer
loses none: the real stripe SDK against the local Stripe server, on SQLite and PostgreSQL.

The scenario: a member pays for a Space cancelled while their Checkout was open. The webhook must refund them
(no ticket for a Space that is off) — a Stripe call the webhook used to make before answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from uuid import uuid4

import pytest
from tickets_support import (
    HOST,
    StripeClock,
    Wired,
    add_schedule,
    payments_for,
    wait_until,
    wired,
)

from payments import StripeGateway
from spaces_core.domain.schedule import ScheduleState
from spaces_core.domain.ticket_events import TicketRefunded, WaitlistOffered
from spaces_core.domain.tickets import Checkout, OrderState, RefundReason
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.tickets import TicketService
from spaces_core.services.tickets.core import LEASE, TicketCore
from spaces_core.services.tickets.outbox import ActionRunner, ActionWorker

A, B = 10, 11


@pytest.fixture
async def w(uows: UnitOfWorkFactory) -> AsyncIterator[Wired]:
    async with wired(uows) as world:
        await add_schedule(uows, StripeClock(world.stripe).now())
        await world.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=None)
        yield world


async def _checkout_then_cancel(w: Wired, member: int = A) -> Checkout:
    bought = await w.service.buy(schedule_id="sched1", user_id=member)
    assert isinstance(bought, Checkout)
    async with w.uows() as uow:
        schedule = await uow.schedules.get("sched1")
        assert schedule is not None
        schedule.state = ScheduleState.CANCELLED
        await uow.schedules.save(schedule)
        await uow.commit()
    return bought


def _completed_delivery(w: Wired) -> bool:
    deliveries = [d for d in w.stripe.deliveries if d.event_type == "checkout.session.completed"]
    return len(deliveries) == 1 and deliveries[0].ok


async def test_the_webhook_is_answered_before_stripe_refunds(w: Wired):
    bought = await _checkout_then_cancel(w)
    w.stripe.hold("/v1/refunds")  # Stripe hangs on refunds: a webhook that waited for it would time out

    await w.pay(bought)  # returns once the webhook has been answered

    assert _completed_delivery(w)  # answered 2xx while the refund request was still hanging at Stripe
    assert w.stripe.objects("refund") == []
    assert (await w.order(bought.order_id)).state is OrderState.REFUND_DUE
    w.stripe.release("/v1/refunds")
    await w.caught_up()
    order = await w.order(bought.order_id)
    assert (order.state, order.refund_reason) == (OrderState.REFUNDED, RefundReason.CANCELLED)
    assert [r["metadata"]["order_id"] for r in w.stripe.objects("refund")] == [bought.order_id]
    assert w.told.of(TicketRefunded) == [A]


async def test_a_crash_after_the_answer_refunds_once_on_restart(w: Wired):
    bought = await _checkout_then_cancel(w)
    await w.service.stop()  # the process dies right after answering: its worker never runs

    await w.pay(bought)

    assert _completed_delivery(w) and w.stripe.objects("refund") == []
    assert await w.service.owed() == 1
    restarted = w.new_service()
    restarted.start()  # the new process drains what the old one owed
    try:
        await w.caught_up(restarted)
        assert await restarted.reconcile() == 0  # nothing left to repair, nothing made twice
    finally:
        await restarted.stop()
    assert [r["metadata"]["order_id"] for r in w.stripe.objects("refund")] == [bought.order_id]
    assert (await w.order(bought.order_id)).state is OrderState.REFUNDED
    assert w.told.of(TicketRefunded) == [A]


async def test_stopped_during_the_stripe_call_refunds_once(w: Wired):
    """The worker is stopped while Stripe is making the refund (Stripe finishes it, we never hear the answer):
    the action is released, and the next process asks again with the same key and gets the same refund."""
    bought = await _checkout_then_cancel(w)
    w.stripe.hold("/v1/refunds")
    await w.pay(bought)
    await wait_until(lambda: _claimed(w), "the worker to claim the refund")
    await w.service.stop()  # cancelled mid-request
    w.stripe.release("/v1/refunds")  # Stripe completes the refund nobody is waiting for any more
    await wait_until(lambda: len(w.stripe.objects("refund")) == 1, "Stripe to finish the refund")

    restarted = w.new_service()
    restarted.start()
    try:
        await w.caught_up(restarted)
    finally:
        await restarted.stop()
    assert len(w.stripe.objects("refund")) == 1
    assert (await w.order(bought.order_id)).state is OrderState.REFUNDED
    assert w.told.of(TicketRefunded) == [A]


async def test_a_process_that_died_mid_call_is_taken_over_after_its_lease(w: Wired):
    """A process dies holding the claim, after Stripe made the refund: its lease runs out, the next process asks
    again with the same key (Stripe replays the refund) and finishes the order, once."""
    bought = await _checkout_then_cancel(w)
    await w.service.stop()
    await w.pay(bought)
    now = StripeClock(w.stripe).now()
    async with w.uows() as uow:  # what the dead process did: claim the action, then call Stripe
        (action,) = await uow.ticket_actions.due(now)
        assert await uow.ticket_actions.claim(action.id, now, now + LEASE)
        await uow.commit()
    await w.payments.refund(await w.order(bought.order_id))

    restarted = w.new_service()
    restarted.start()
    try:
        assert await restarted.drain() == 0 and await restarted.owed() == 1  # still claimed by the dead one...
        await w.stripe.advance(int((LEASE + timedelta(seconds=5)).total_seconds()))  # ...until its lease ends
        await w.caught_up(restarted)
    finally:
        await restarted.stop()
    assert len(w.stripe.objects("refund")) == 1
    assert (await w.order(bought.order_id)).state is OrderState.REFUNDED
    assert w.told.of(TicketRefunded) == [A]


async def test_stripe_down_postpones_the_refund_until_it_is_back(w: Wired, unused_tcp_port: int):
    bought = await _checkout_then_cancel(w)
    await w.service.stop()
    await w.pay(bought)
    down = StripeGateway(w.stripe.api_key, api_base=f"http://127.0.0.1:{unused_tcp_port}", max_network_retries=0)
    cut_off = TicketService(w.uows, StripeClock(w.stripe), payments_for(down), w.told.bus)
    try:
        assert await cut_off.drain() == 0  # Stripe unreachable: the refund is postponed, not lost
    finally:
        await down.aclose()
    async with w.uows() as uow:
        (action,) = await uow.ticket_actions.due(StripeClock(w.stripe).now() + timedelta(seconds=15))
    assert action.attempts == 1
    assert await w.new_service().drain() == 0  # not due again yet (15 s after the first try)

    await w.stripe.advance(16)
    assert await w.new_service().drain() == 1
    assert (await w.order(bought.order_id)).state is OrderState.REFUNDED
    assert len(w.stripe.objects("refund")) == 1 and await w.service.owed() == 0


async def _claimed(w: Wired) -> bool:
    """The worker has taken the action and is waiting on Stripe."""
    async with w.uows() as uow:
        return not await uow.ticket_actions.due(StripeClock(w.stripe).now()) and await w.service.owed() == 1


async def test_a_waitlist_checkout_is_opened_after_the_answer(w: Wired):
    """A seat released by an expiry webhook goes to the waitlist; the member's Checkout is made after the answer,
    and again by the next process if this one died first."""
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=1)
    first = await w.service.buy(schedule_id="sched1", user_id=A)
    assert isinstance(first, Checkout)
    await w.service.buy(schedule_id="sched1", user_id=B)
    await w.service.stop()
    w.stripe.hold("/v1/checkout/sessions")

    await w.stripe.expire(str(w.session_of(first.order_id)["id"]))

    assert w.stripe.deliveries[-1].ok and w.told.of(WaitlistOffered) == []
    w.stripe.release("/v1/checkout/sessions")
    restarted = w.new_service()
    restarted.start()
    try:
        await w.caught_up(restarted)
    finally:
        await restarted.stop()
    assert w.told.of(WaitlistOffered) == [B]
    assert len(w.stripe.objects("checkout.session")) == 2
    assert await w.seats_taken("sched1") == 1


async def test_stop_ends_a_worker_woken_at_that_very_moment(w: Wired):
    """`stop()` right after a wake-up (a transaction committed actions just before the owner stopped the worker),
    at each step of the worker's waking. With `asyncio.wait_for` as the pause, Python 3.11 swallowed the cancel
    once the wake-up had fired: the worker ran on and `stop()` (a test's teardown) waited for it forever."""
    runner = ActionRunner(TicketCore(w.uows, StripeClock(w.stripe), w.payments, w.told.bus, lambda: uuid4().hex))
    worker = ActionWorker(runner)
    for steps in range(6):
        worker.start()
        await _within(worker.idle(), "the worker's first pass")
        worker.wake()
        for _ in range(steps):
            await asyncio.sleep(0)
        await _within(worker.stop(), f"ActionWorker.stop() {steps} loop steps after a wake-up")
        assert not worker.running


async def _within(awaitable: Awaitable[None], what: str) -> None:
    # Not `asyncio.timeout`: its cancel would reach the worker through `stop()` and end it, hiding the hang.
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=10)
    if not done:
        task.cancel()
        pytest.fail(f"{what} never ended")
    task.result()
