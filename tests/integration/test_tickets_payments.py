"""Buying a ticket end to end on SQLite and PostgreSQL with the real stripe SDK against the local Stripe server
and signed webhooks: pay → event → one ticket; duplicates, reordering, async payments, a lost webhook and a
process killed between Stripe's success and our grant all end with exactly one ticket."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from tickets_support import HOST, StripeClock, Wired, add_schedule, wired

from payments import StripeEvent, to_payment_event
from spaces_core.domain.payment_events import EventOutcome
from spaces_core.domain.ticket_events import CheckoutExpired, PaymentFailed, TicketGranted
from spaces_core.domain.tickets import AlreadyHolder, Checkout, OrderState
from spaces_core.ports import UnitOfWorkFactory

FAN, OTHER = 10, 11


@pytest.fixture
async def w(uows: UnitOfWorkFactory) -> AsyncIterator[Wired]:
    async with wired(uows) as world:
        schedule = await add_schedule(uows, StripeClock(world.stripe).now())
        await world.service.set_offer(actor=HOST, schedule_id=schedule.id, price=5, quantity=10)
        yield world


async def _checkout(w: Wired, member: int = FAN) -> Checkout:
    bought = await w.service.buy(schedule_id="sched1", user_id=member)
    assert isinstance(bought, Checkout)
    return bought


def _event(w: Wired, event_type: str, order_id: str) -> dict:
    return next(
        e
        for e in w.stripe.events(event_type)
        if e["data"]["object"].get("client_reference_id") == order_id
        or e["data"]["object"].get("metadata", {}).get("order_id") == order_id
    )


async def test_terms_set_and_a_seat_held_tell_the_cards_once_each(w: Wired):
    assert w.told.offers_changed == ["sched1"]  # the fixture's terms
    checkout = await _checkout(w)
    assert w.told.offers_changed == ["sched1", "sched1"]  # a seat held: "seats left" moves
    again = await w.service.buy(schedule_id="sched1", user_id=FAN)
    assert isinstance(again, Checkout) and again.reused and again.order_id == checkout.order_id
    assert w.told.offers_changed == ["sched1", "sched1"]  # the same seat: nothing moved
    assert w.told.said == []  # nobody is told anything before they pay


async def test_buy_pay_webhook_grants_one_ticket(w: Wired):
    checkout = await _checkout(w)
    session = w.session_of(checkout.order_id)
    assert session["url"] == checkout.url and session["amount_total"] == 500 and session["currency"] == "usd"
    assert session["metadata"]["order_id"] == checkout.order_id
    assert session["expires_at"] == int(checkout.expires_at.timestamp())
    assert await w.seats_taken("sched1") == 1  # held while the Checkout is open

    await w.pay(checkout)

    assert await w.service.holders("sched1") == [FAN]
    assert await w.service.is_holder("sched1", FAN)
    order = await w.order(checkout.order_id)
    assert order.state is OrderState.PAID and order.payment_intent is not None
    assert w.told.of(TicketGranted) == [FAN]
    assert await w.seats_taken("sched1") == 1
    assert isinstance(await w.service.buy(schedule_id="sched1", user_id=FAN), AlreadyHolder)


async def test_buying_twice_gives_the_same_link(w: Wired):
    first = await _checkout(w)
    again = await _checkout(w)

    assert (again.url, again.order_id, again.reused) == (first.url, first.order_id, True)
    assert len(w.stripe.objects("checkout.session")) == 1
    assert await w.seats_taken("sched1") == 1


async def test_the_same_event_delivered_five_times_is_applied_once(w: Wired):
    w.stripe.automatic_delivery = False
    checkout = await _checkout(w)
    await w.pay(checkout)
    completed = _event(w, "checkout.session.completed", checkout.order_id)

    deliveries = await w.stripe.deliver(completed["id"], times=5)

    assert [d.status for d in deliveries] == [200] * 5
    assert w.outcomes == ["applied"] + ["duplicate"] * 4
    assert await w.service.holders("sched1") == [FAN]
    assert w.told.of(TicketGranted) == [FAN]


async def test_expired_after_completed_changes_nothing(w: Wired):
    checkout = await _checkout(w)
    await w.pay(checkout)
    completed = StripeEvent.from_json(_event(w, "checkout.session.completed", checkout.order_id))
    # Stripe never expires a paid session; a stale or replayed "expired" for it must still be harmless.
    expired_object = {**completed.object, "status": "expired", "url": None}
    expired = dataclasses.replace(
        completed, id="evt_late_expired", type="checkout.session.expired", object=expired_object
    )

    outcome = await w.service.apply(to_payment_event(expired))

    assert outcome is EventOutcome.UNCHANGED
    assert (await w.order(checkout.order_id)).state is OrderState.PAID
    assert await w.seats_taken("sched1") == 1
    assert await w.service.holders("sched1") == [FAN]


async def test_async_payment_succeeded_before_completed(w: Wired):
    w.stripe.automatic_delivery = False
    checkout = await _checkout(w)
    await w.pay(checkout, delayed=True)
    await w.stripe.settle(str(w.session_of(checkout.order_id)["id"]), succeeded=True)
    completed = _event(w, "checkout.session.completed", checkout.order_id)
    succeeded = _event(w, "checkout.session.async_payment_succeeded", checkout.order_id)

    await w.stripe.deliver(succeeded["id"])
    await w.stripe.deliver(completed["id"])  # unpaid "completed", arriving last: changes nothing

    assert w.outcomes == ["applied", "unchanged"]
    assert (await w.order(checkout.order_id)).state is OrderState.PAID
    assert await w.service.holders("sched1") == [FAN]
    assert w.told.of(TicketGranted) == [FAN]


async def test_an_async_payment_settles_or_fails(w: Wired):
    good, bad = await _checkout(w, FAN), await _checkout(w, OTHER)
    await w.pay(good, delayed=True)
    await w.pay(bad, delayed=True)
    assert (await w.order(good.order_id)).state is OrderState.PROCESSING
    assert await w.seats_taken("sched1") == 2  # both still hold their seats while the bank decides

    await w.stripe.settle(str(w.session_of(good.order_id)["id"]), succeeded=True)
    await w.stripe.settle(str(w.session_of(bad.order_id)["id"]), succeeded=False)

    assert (await w.order(good.order_id)).state is OrderState.PAID
    assert (await w.order(bad.order_id)).state is OrderState.FAILED
    assert await w.service.holders("sched1") == [FAN]
    assert w.told.of(PaymentFailed) == [OTHER]
    assert await w.seats_taken("sched1") == 1


async def test_a_lost_webhook_is_repaired_by_reconcile_once(w: Wired):
    w.stripe.lose_next("checkout.session.completed")
    checkout = await _checkout(w)
    await w.pay(checkout)
    assert await w.service.holders("sched1") == []

    assert await w.service.reconcile() == 1
    assert await w.service.reconcile() == 0
    lost = _event(w, "checkout.session.completed", checkout.order_id)
    await w.stripe.deliver(lost["id"])  # Stripe's retry, after the repair

    assert await w.service.holders("sched1") == [FAN]
    assert w.told.of(TicketGranted) == [FAN]
    assert w.outcomes[-1] == "duplicate"


async def test_killed_between_stripes_success_and_our_grant(w: Wired):
    """The bot is down when the buyer pays (no webhook gets through) and comes back as a new process."""
    w.stripe.automatic_delivery = False
    checkout = await _checkout(w)
    await w.pay(checkout)
    assert (await w.order(checkout.order_id)).state is OrderState.PENDING

    restarted = w.new_service()
    repaired = await restarted.reconcile()
    again = await w.new_service().reconcile()

    assert (repaired, again) == (1, 0)
    assert await restarted.holders("sched1") == [FAN]
    completed = _event(w, "checkout.session.completed", checkout.order_id)
    assert await restarted.apply(to_payment_event(StripeEvent.from_json(completed))) is EventOutcome.DUPLICATE
    assert w.told.of(TicketGranted) == [FAN]
    assert await w.seats_taken("sched1") == 1


async def test_reconcile_closes_checkouts_past_their_expiry(w: Wired):
    w.stripe.automatic_delivery = False  # the expiry webhook never arrives
    checkout = await _checkout(w)
    await w.stripe.advance(40 * 60)

    assert await w.service.reconcile() == 1

    assert (await w.order(checkout.order_id)).state is OrderState.EXPIRED
    assert await w.seats_taken("sched1") == 0
    assert w.told.of(CheckoutExpired) == [FAN]


async def test_a_mismatched_event_is_ignored(w: Wired):
    checkout = await _checkout(w)
    w.stripe.automatic_delivery = False
    await w.pay(checkout)
    completed = StripeEvent.from_json(_event(w, "checkout.session.completed", checkout.order_id))
    cheaper = dataclasses.replace(completed, id="evt_cheaper", object={**completed.object, "amount_total": 100})

    assert await w.service.apply(to_payment_event(cheaper)) is EventOutcome.MISMATCH
    assert await w.service.holders("sched1") == []
    assert (await w.order(checkout.order_id)).state is OrderState.PENDING
