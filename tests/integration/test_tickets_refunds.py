"""Refunds, the waitlist, payouts and bad input, on SQLite and PostgreSQL with the real stripe SDK against the
local Stripe server: cancel refunds every holder once, reschedule asks Keep / Refund, released seats go to the
waitlist in order, and refused input changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tickets_support import HOST, StripeClock, Wired, add_schedule, payments_for, wired

from payments import StripeGateway
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, PaymentUnavailable, SpaceNotLive
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduleState
from spaces_core.domain.ticket_events import (
    CheckoutExpired,
    KeepOrRefundAsked,
    TicketGranted,
    TicketRefunded,
    WaitlistOffered,
)
from spaces_core.domain.tickets import Checkout, OrderState, RefundReason, Waitlisted
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.settings import SettingsService
from spaces_core.services.tickets import TicketService

A, B, C = 10, 11, 12
ADMIN = Actor(99, is_admin=True)


@pytest.fixture
async def w(uows: UnitOfWorkFactory) -> AsyncIterator[Wired]:
    async with wired(uows) as world:
        await add_schedule(uows, StripeClock(world.stripe).now())
        yield world


async def _holder(w: Wired, member: int) -> Checkout:
    bought = await w.service.buy(schedule_id="sched1", user_id=member)
    assert isinstance(bought, Checkout)
    await w.pay(bought)
    return bought


async def _set_state(w: Wired, state: ScheduleState) -> None:
    async with w.uows() as uow:
        schedule = await uow.schedules.get("sched1")
        assert schedule is not None
        schedule.state = state
        await uow.schedules.save(schedule)
        await uow.commit()


def _refunds(w: Wired) -> list[str]:
    return sorted(r["metadata"]["order_id"] for r in w.stripe.objects("refund"))


async def test_cancel_refunds_every_holder_once(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=None)
    orders = [(await _holder(w, m)).order_id for m in (A, B, C)]
    unpaid = await w.service.buy(schedule_id="sched1", user_id=13)
    assert isinstance(unpaid, Checkout)
    await _set_state(w, ScheduleState.CANCELLED)

    assert await w.service.refund_all("sched1", reason=RefundReason.CANCELLED) == 3
    assert await w.service.refund_all("sched1", reason=RefundReason.CANCELLED) == 0
    assert await w.service.reconcile() == 0

    assert _refunds(w) == sorted(orders)  # one Stripe refund per ticket, no more
    assert sorted(w.told.of(TicketRefunded)) == [A, B, C]
    for order_id in orders:
        order = await w.order(order_id)
        assert (order.state, order.refund_reason) == (OrderState.REFUNDED, RefundReason.CANCELLED)
    assert await w.service.holders("sched1") == []
    assert w.session_of(unpaid.order_id)["status"] == "expired"  # nobody can pay for it any more
    assert (await w.order(unpaid.order_id)).state is OrderState.EXPIRED
    assert await w.seats_taken("sched1") == 0


async def test_a_payment_made_as_the_space_is_cancelled_is_refunded(w: Wired):
    """The buyer pays, the webhook is lost, the host cancels: closing the Checkout finds it paid; no ticket, the
    money goes back once."""
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=None)
    w.stripe.lose_next("checkout.session.completed")
    bought = await w.service.buy(schedule_id="sched1", user_id=A)
    assert isinstance(bought, Checkout)
    await w.pay(bought)
    await _set_state(w, ScheduleState.CANCELLED)

    assert await w.service.refund_all("sched1", reason=RefundReason.CANCELLED) == 0  # no ticket existed
    await w.service.reconcile()

    order = await w.order(bought.order_id)
    assert (order.state, order.refund_reason) == (OrderState.REFUNDED, RefundReason.CANCELLED)
    assert _refunds(w) == [bought.order_id]
    assert w.told.of(TicketGranted) == [] and w.told.of(TicketRefunded) == [A]
    assert await w.service.holders("sched1") == [] and await w.seats_taken("sched1") == 0


async def test_refund_all_only_for_a_cancelled_or_missed_space(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=None)
    await _holder(w, A)
    with pytest.raises(Conflict):
        await w.service.refund_all("sched1", reason=RefundReason.CANCELLED)
    assert _refunds(w) == []


async def test_reschedule_keep_or_refund(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=7, quantity=None)
    keeper, leaver = await _holder(w, A), await _holder(w, B)

    asked = await w.service.rescheduled("sched1")
    kept = await w.service.keep(order_id=keeper.order_id, user_id=A)
    refunded = await w.service.refund_own(order_id=leaver.order_id, user_id=B)

    assert sorted(o.user_id for o in asked) == [A, B]
    assert sorted(w.told.of(KeepOrRefundAsked)) == [A, B]
    assert kept.state is OrderState.PAID
    assert (refunded.state, refunded.refund_reason) == (OrderState.REFUNDED, RefundReason.HOLDER)
    assert _refunds(w) == [leaver.order_id]
    assert await w.service.holders("sched1") == [A]
    with pytest.raises(Conflict):
        await w.service.refund_own(order_id=leaver.order_id, user_id=B)
    with pytest.raises(NotAllowed):
        await w.service.refund_own(order_id=keeper.order_id, user_id=B)
    assert _refunds(w) == [leaver.order_id]


async def test_without_a_reschedule_a_holder_cannot_refund_alone(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=7, quantity=None)
    mine = await _holder(w, A)
    with pytest.raises(Conflict, match="ask the host"):
        await w.service.refund_own(order_id=mine.order_id, user_id=A)
    assert _refunds(w) == []


async def test_waitlist_gets_a_seat_released_by_an_expired_checkout(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=1)
    first = await w.service.buy(schedule_id="sched1", user_id=A)
    assert isinstance(first, Checkout)

    assert await w.service.buy(schedule_id="sched1", user_id=B) == Waitlisted(1)
    assert await w.service.buy(schedule_id="sched1", user_id=C) == Waitlisted(2)
    assert await w.service.buy(schedule_id="sched1", user_id=B) == Waitlisted(1, already=True)
    await w.stripe.expire(str(w.session_of(first.order_id)["id"]))
    await w.caught_up()  # the webhook was answered first; the worker opens B's Checkout

    assert w.told.of(CheckoutExpired) == [A]
    assert w.told.of(WaitlistOffered) == [B]
    offered = await w.service.buy(schedule_id="sched1", user_id=B)  # Buy again: the same link
    assert isinstance(offered, Checkout) and offered.reused and w.told.links(WaitlistOffered) == [offered.url]
    assert await w.service.buy(schedule_id="sched1", user_id=C) == Waitlisted(1, already=True)  # moved up
    await w.pay(offered)
    assert await w.service.holders("sched1") == [B]
    assert await w.seats_taken("sched1") == 1


async def test_waitlist_gets_a_seat_released_by_a_host_refund(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=1)
    bought = await _holder(w, A)
    assert await w.service.buy(schedule_id="sched1", user_id=B) == Waitlisted(1)

    with pytest.raises(NotAllowed):
        await w.service.refund_member(actor=Actor(B), schedule_id="sched1", user_id=A)
    refunded = await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)
    with pytest.raises(NotFound):
        await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)

    assert (refunded.id, refunded.state, refunded.refund_reason) == (bought.order_id, OrderState.REFUNDED, "host")
    assert _refunds(w) == [bought.order_id]
    assert w.told.of(TicketRefunded) == [A] and w.told.of(WaitlistOffered) == [B]
    assert await w.service.holders("sched1") == []


async def test_a_larger_cap_goes_to_the_waitlist(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=1)
    await _holder(w, A)
    assert await w.service.buy(schedule_id="sched1", user_id=B) == Waitlisted(1)

    offer = await w.service.set_offer(actor=ADMIN, schedule_id="sched1", price=5, quantity=2)

    assert offer.quantity == 2 and w.told.of(WaitlistOffered) == [B]
    assert await w.seats_taken("sched1") == 2


async def test_bad_input_changes_nothing(w: Wired):
    for price in (0, 1000, -5):
        with pytest.raises(InvalidInput, match="from 1 to 999 USD"):
            await w.service.set_offer(actor=HOST, schedule_id="sched1", price=price, quantity=None)
    for quantity in (0, -1):
        with pytest.raises(InvalidInput, match="at least 1"):
            await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=quantity)
    with pytest.raises(NotAllowed):
        await w.service.set_offer(actor=Actor(A), schedule_id="sched1", price=5, quantity=None)
    assert await w.service.offer("sched1") is None
    with pytest.raises(InvalidInput, match="isn't ticketed"):
        await w.service.buy(schedule_id="sched1", user_id=A)

    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=3)
    await _holder(w, A)
    await _holder(w, B)
    with pytest.raises(InvalidInput, match="already sold"):
        await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=1)
    with pytest.raises(Conflict, match="don't need a ticket"):
        await w.service.buy(schedule_id="sched1", user_id=HOST.user_id)
    with pytest.raises(NotAllowed):
        await w.service.sales(actor=Actor(A), schedule_id="sched1")
    await _set_state(w, ScheduleState.ENDED)
    with pytest.raises(SpaceNotLive, match="has ended: tickets are no longer on sale"):
        await w.service.buy(schedule_id="sched1", user_id=C)

    offer = await w.service.offer("sched1")
    assert offer is not None and (offer.price_cents, offer.quantity, offer.seats_taken) == (500, 3, 2)
    assert len(w.stripe.objects("checkout.session")) == 2
    async with w.uows() as uow:
        assert len(await uow.tickets.orders(schedule_id="sched1")) == 2


async def test_stripe_unavailable_releases_the_seat(w: Wired, unused_tcp_port: int):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=1)
    down = StripeGateway(w.stripe.api_key, api_base=f"http://127.0.0.1:{unused_tcp_port}", max_network_retries=0)
    service = TicketService(w.uows, StripeClock(w.stripe), payments_for(down), w.told.bus)
    try:
        with pytest.raises(PaymentUnavailable, match="nothing was charged"):
            await service.buy(schedule_id="sched1", user_id=A)
    finally:
        await down.aclose()

    assert await w.seats_taken("sched1") == 0
    assert isinstance(await w.service.buy(schedule_id="sched1", user_id=B), Checkout)  # the seat is free again


async def test_sales_report_and_csv(w: Wired):
    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=None)
    await _holder(w, A)
    await _holder(w, B)
    await w.service.buy(schedule_id="sched1", user_id=C)
    await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=B)

    report = await w.service.sales(actor=HOST, schedule_id="sched1")

    assert (report.sold, report.gross_cents, report.refunds_cents, report.fees_cents) == (1, 1000, 500, 0)
    assert report.net_cents == 500 and report.label(report.net_cents) == "5.00 USD"
    lines = report.csv().splitlines()
    assert lines[0] == "order_id,member_id,state,amount,currency,created,paid,refunded"
    assert sorted(line.split(",")[1:4] for line in lines[1:]) == [
        [str(A), "paid", "5.00"],
        [str(B), "refunded", "5.00"],
        [str(C), "pending", "5.00"],
    ]


async def test_payouts_destination_charge_with_the_servers_fee(w: Wired):
    await SettingsService(w.uows).update_policy(900, ADMIN, ticket_fee_bps=1000)  # 10 %
    setup = await w.payouts.setup(HOST.user_id)
    again = await w.payouts.setup(HOST.user_id)
    assert setup.onboarding_url and again.onboarding_url and not setup.account.ready
    assert len(w.stripe.objects("account")) == 1  # one account per host, however often they ask
    await w.stripe.complete_onboarding(setup.account.account_id)  # account.updated → ready
    assert (await w.payouts.account(HOST.user_id)).ready  # type: ignore[union-attr]
    assert (await w.payouts.setup(HOST.user_id)).onboarding_url is None

    await w.service.set_offer(actor=HOST, schedule_id="sched1", price=20, quantity=None)
    bought = await _holder(w, A)
    intent = w.stripe.objects("payment_intent")[0]
    assert intent["transfer_data"] == {"destination": setup.account.account_id}
    assert intent["application_fee_amount"] == 200
    report = await w.service.sales(actor=HOST, schedule_id="sched1")
    assert (report.gross_cents, report.fees_cents, report.net_cents) == (2000, 200, 1800)

    await w.service.refund_member(actor=HOST, schedule_id="sched1", user_id=A)
    assert _refunds(w) == [bought.order_id]
