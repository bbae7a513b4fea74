"""Ticket rules of the domain: prices, quantities, who manages tickets, when they sell, the order state machine,
checks of what Stripe says against our order, and the sales figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, SpaceNotLive
from spaces_core.domain.payment_events import CheckoutState, RefundState, RefundStatus, refund_status
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy, ScheduleState
from spaces_core.domain.ticket_sales import SalesReport
from spaces_core.domain.tickets import (
    HolderChoice,
    Order,
    OrderState,
    TicketOffer,
    application_fee,
    check_currency,
    check_fee_bps,
    check_on_sale,
    check_quantity,
    format_money,
    price_cents,
    require_ticket_manager,
    sources,
)
from tests.unit.builders import NOW

S = OrderState


def _order(state: OrderState = S.PENDING, **changes: object) -> Order:
    values: dict[str, object] = {
        "id": "o1",
        "schedule_id": "s1",
        "user_id": 10,
        "state": state,
        "amount_cents": 500,
        "currency": "usd",
        "created_at": NOW,
        "expires_at": NOW + timedelta(minutes=31),
    }
    return Order(**{**values, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("price", [0, 1000, -1, 5.5, True, "5"])
def test_prices_outside_1_to_999_are_refused(price: object):
    with pytest.raises(InvalidInput, match=r"^A ticket costs from 1 to 999 USD\.$"):
        price_cents(price)  # type: ignore[arg-type]


def test_prices_are_whole_units_in_cents():
    assert (price_cents(1), price_cents(999), price_cents(5, "eur")) == (100, 99_900, 500)
    with pytest.raises(InvalidInput, match="999 EUR"):
        price_cents(0, "eur")


@pytest.mark.parametrize("quantity", [0, -1, -100])
def test_zero_or_negative_quantities_are_refused(quantity: int):
    with pytest.raises(InvalidInput, match="at least 1"):
        check_quantity(quantity)


def test_quantity_never_below_seats_taken():
    assert check_quantity(None, 40) is None
    assert check_quantity(40, 40) == 40
    with pytest.raises(InvalidInput, match="40 tickets are already sold or reserved"):
        check_quantity(39, 40)


def test_currency_and_fee_terms():
    assert check_currency(" EUR ") == "eur"
    with pytest.raises(InvalidInput, match="Tickets can be sold in"):
        check_currency("jpy")  # no minor units: "price × 100" would be wrong
    assert check_fee_bps(0) == 0 and check_fee_bps(5000) == 5000
    for bad in (-1, 5001, True):
        with pytest.raises(InvalidInput, match="basis points"):
            check_fee_bps(bad)
    assert application_fee(2000, 1000) == 200 and application_fee(999, 333) == 33  # rounded down
    assert format_money(1234, "usd") == "12.34 USD"


def test_only_the_host_or_an_admin_manage_tickets():
    require_ticket_manager(Actor(1), 1, "x")
    require_ticket_manager(Actor(2, is_admin=True), 1, "x")
    with pytest.raises(NotAllowed, match="Only the host"):
        require_ticket_manager(Actor(2, is_moderator=True), 1, "set ticket prices")


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (ScheduleState.ENDED, "This Space has ended: tickets are no longer on sale."),
        (ScheduleState.CANCELLED, "This Space was cancelled: tickets are no longer on sale."),
        (ScheduleState.MISSED, "This Space never started (it was missed): tickets are no longer on sale."),
    ],
)
def test_tickets_sell_until_the_space_ends(state: ScheduleState, message: str):
    schedule = ScheduledSpace.plan(
        schedule_id="s1",
        guild_id=1,
        channel_id=2,
        host_id=1,
        title="T",
        topics="",
        starts_at=NOW + timedelta(hours=1),
        now=NOW,
        policy=SchedulePolicy(),
        upcoming_of_host=0,
    )
    check_on_sale(schedule)
    schedule.state = ScheduleState.LIVE
    check_on_sale(schedule)
    schedule.state = state
    with pytest.raises(SpaceNotLive) as refused:
        check_on_sale(schedule)
    assert refused.value.message == message


def test_a_ticket_is_granted_only_from_pending_or_processing():
    assert sources(S.PAID) == {S.PENDING, S.PROCESSING}
    assert sources(S.PROCESSING) == {S.PENDING}
    assert sources(S.EXPIRED) == {S.PENDING}  # a completed Checkout never expires
    assert sources(S.FAILED) == {S.PENDING, S.PROCESSING}
    assert sources(S.REFUNDED) == {S.PAID, S.REFUND_DUE}
    assert S.REFUNDED not in sources(S.REFUND_DUE) and S.PAID in sources(S.REFUND_DUE)
    assert sources(S.PENDING) == frozenset()  # orders are born pending, never return to it
    for terminal in (S.EXPIRED, S.FAILED, S.REFUNDED):
        assert terminal not in sources(S.PAID)


def test_a_holder_refunds_alone_only_after_a_reschedule():
    with pytest.raises(Conflict, match="ask the host"):
        _order(S.PAID).require_refundable_by_holder()
    _order(S.PAID, choice=HolderChoice.ASK).require_refundable_by_holder()
    _order(S.PAID, choice=HolderChoice.KEEP).require_refundable_by_holder()
    with pytest.raises(Conflict, match="already refunded"):
        _order(S.REFUND_DUE, choice=HolderChoice.ASK).require_refundable_by_holder()
    with pytest.raises(NotAllowed):
        _order().require_owner(11)


def test_what_stripe_says_is_checked_against_our_order():
    order = _order(checkout_session_id="cs_1")
    good = CheckoutState("cs_1", "complete", "paid", 500, "USD", "o1", "o1", "pi_1")
    assert good.mismatch(order) is None and good.paid
    assert CheckoutState("cs_1", "complete", "paid", 100, "usd", "o1", "o1", "pi_1").mismatch(order)
    assert CheckoutState("cs_1", "complete", "paid", 500, "eur", "o1", "o1", "pi_1").mismatch(order)
    assert CheckoutState("cs_2", "complete", "paid", 500, "usd", "o1", "o1", "pi_1").mismatch(order)
    assert CheckoutState("cs_1", "complete", "paid", 500, "usd", "o1", "o2", "pi_1").mismatch(order)
    assert not CheckoutState("cs_1", "complete", "unpaid", 500, "usd", "o1", None, None).paid
    paid = _order(S.PAID, payment_intent="pi_1")
    ours = RefundState("re_1", RefundStatus.PENDING, "o1", "pi_1", 500, "usd")
    assert ours.mismatch(paid) is None and ours.whole(paid)
    assert RefundState("re_1", RefundStatus.PENDING, None, "pi_1", 500, "usd").mismatch(paid) is None  # dashboard
    assert RefundState("re_1", RefundStatus.PENDING, "o2", "pi_1", 500, "usd").mismatch(paid)
    assert RefundState("re_1", RefundStatus.PENDING, "o1", "pi_2", 500, "usd").mismatch(paid)
    assert not RefundState("re_1", RefundStatus.PENDING, "o1", "pi_1", 200, "usd").whole(paid)


def test_only_a_succeeded_refund_is_money_back():
    assert [s.value for s in RefundStatus if s.final] == ["succeeded", "failed", "canceled"]
    assert [s.value for s in RefundStatus if s.failed] == ["failed", "canceled"]
    assert refund_status("something_new") is RefundStatus.PENDING  # never taken for money returned
    first = _order(S.REFUND_DUE)
    assert (first.refund_key, _order(S.REFUND_DUE, refund_attempts=1).refund_key) == ("refund-o1", "refund-o1-2")


def test_offer_seats():
    offer = TicketOffer("s1", 1, 1, 500, "usd", quantity=3, seats_taken=3)
    assert (offer.seats_left, offer.sold_out, offer.price_label) == (0, True, "5.00 USD")
    unlimited = TicketOffer("s1", 1, 1, 500, "usd", seats_taken=1000)
    assert (unlimited.seats_left, unlimited.sold_out) == (None, False)


def test_sales_figures():
    orders = [
        _order(S.PAID, id="a", fee_cents=50, paid_at=NOW),
        _order(S.REFUNDED, id="b", fee_cents=50, paid_at=NOW, refunded_at=NOW),
        _order(S.REFUND_DUE, id="c", paid_at=NOW),
        _order(S.EXPIRED, id="d"),
    ]
    report = SalesReport.of("s1", orders)
    assert (report.sold, report.gross_cents, report.refunds_cents, report.fees_cents) == (1, 1500, 1000, 50)
    assert report.net_cents == 450
    rows = report.csv().splitlines()
    assert len(rows) == 5 and rows[1].startswith("a,10,paid,5.00,USD,2025-05-01T18:00:00+00:00,2025-05-01T18:00")
