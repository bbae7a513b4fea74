"""StripeTicketPayments (the core's payment port) over the real SDK and the local Stripe server: Checkout from an
order with our idempotency key, refunds once, Connect, listing for reconciliation, and events converted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payments import StripeEvent, StripeGateway, StripeTicketPayments, to_payment_event
from payments.errors import MalformedWebhook
from spaces_core.domain.errors import PaymentUnavailable
from spaces_core.domain.payment_events import RefundStatus
from spaces_core.domain.tickets import Order, OrderState
from stripe_sandbox import LocalStripe


def _order(order_id: str = "order1", **changes: object) -> Order:
    now = datetime.now(UTC).replace(microsecond=0)
    values: dict[str, object] = {
        "id": order_id,
        "schedule_id": "sched1",
        "user_id": 10,
        "state": OrderState.PENDING,
        "amount_cents": 500,
        "currency": "usd",
        "created_at": now,
        "expires_at": now + timedelta(minutes=31),
    }
    return Order(**{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def payments(gateway: StripeGateway) -> StripeTicketPayments:
    return StripeTicketPayments(
        gateway,
        success_url="https://spaces.example/paid",
        cancel_url="https://spaces.example/cancel",
        onboarding_return_url="https://spaces.example/done",
        onboarding_refresh_url="https://spaces.example/again",
    )


async def test_a_checkout_is_made_once_per_order(payments: StripeTicketPayments, stripe_server: LocalStripe):
    order = _order()

    first = await payments.open_checkout(order, title="AMA")
    again = await payments.open_checkout(order, title="AMA")  # a retry after a timeout: the same session

    assert first == again and len(stripe_server.objects("checkout.session")) == 1
    session = stripe_server.get("checkout.session", first.session_id)
    assert (session["client_reference_id"], session["metadata"]["order_id"]) == ("order1", "order1")
    assert session["expires_at"] == int(order.expires_at.timestamp())
    assert (session["amount_total"], session["currency"]) == (500, "usd")


async def test_refund_once_per_order_even_when_asked_again(payments: StripeTicketPayments, stripe_server: LocalStripe):
    order = _order()
    link = await payments.open_checkout(order, title="AMA")
    paid = await stripe_server.pay(link.session_id)
    order = _order(state=OrderState.REFUND_DUE, payment_intent=paid["payment_intent"])

    first = await payments.refund(order)
    second = await payments.refund(order)

    assert first.status is RefundStatus.SUCCEEDED and second == first
    assert len(stripe_server.objects("refund")) == 1
    charge = stripe_server.objects("charge")[0]
    assert charge["refunded"] and charge["metadata"]["order_id"] == "order1"


async def test_events_become_payment_events(payments: StripeTicketPayments, stripe_server: LocalStripe):
    since = datetime.now(UTC) - timedelta(seconds=5)
    link = await payments.open_checkout(_order(), title="AMA")
    paid = await stripe_server.pay(link.session_id)
    await payments.refund(_order(state=OrderState.REFUND_DUE, payment_intent=paid["payment_intent"]))
    expiring = await payments.open_checkout(_order("order2"), title="AMA")
    await stripe_server.expire(expiring.session_id)

    events = await payments.recent_events(since)

    # Not charge.refunded: Stripe sends it for a refund that is only pending too (see test_a_pending_refund...).
    assert [e.type for e in events] == ["checkout.session.completed", "refund.created", "checkout.session.expired"]
    completed, refunded, expired = events
    assert completed.checkout is not None and completed.checkout.paid
    assert (completed.checkout.order_id, completed.checkout.payment_intent) == ("order1", paid["payment_intent"])
    assert refunded.refund is not None and refunded.refund.status is RefundStatus.SUCCEEDED
    assert (refunded.refund.order_id, refunded.refund.payment_intent) == ("order1", paid["payment_intent"])
    assert expired.checkout is not None and (expired.checkout.status, expired.checkout.order_id) == (
        "expired",
        "order2",
    )
    sessions = await payments.recent_checkouts(since)
    assert [(s.order_id, s.status) for s in sessions] == [("order2", "expired"), ("order1", "complete")]


async def test_expire_tells_the_final_state(payments: StripeTicketPayments, stripe_server: LocalStripe):
    link = await payments.open_checkout(_order(), title="AMA")
    await stripe_server.pay(link.session_id)

    state = await payments.expire_checkout(link.session_id)

    assert state.paid and state.order_id == "order1"


async def test_connect_account_once_per_host(payments: StripeTicketPayments, stripe_server: LocalStripe):
    first = await payments.create_payout_account(42)
    again = await payments.create_payout_account(42)
    link = await payments.payout_onboarding_link(first)

    assert first == again and len(stripe_server.objects("account")) == 1
    assert link.startswith(stripe_server.url)
    assert not await payments.payout_account_ready(first)
    await stripe_server.complete_onboarding(first)
    assert await payments.payout_account_ready(first)
    update = StripeEvent.from_json(stripe_server.events("account.updated")[0])
    account = to_payment_event(update).account
    assert account is not None and (account.account_id, account.ready) == (first, True)


async def test_stripe_down_is_the_members_sentence(stripe_server: LocalStripe, unused_tcp_port: int):
    down = StripeGateway(stripe_server.api_key, api_base=f"http://127.0.0.1:{unused_tcp_port}", max_network_retries=0)
    payments = StripeTicketPayments(
        down, success_url="https://x/p", cancel_url="https://x/c", onboarding_return_url="", onboarding_refresh_url=""
    )
    try:
        with pytest.raises(PaymentUnavailable, match="nothing was charged"):
            await payments.open_checkout(_order(), title="AMA")
    finally:
        await down.aclose()


def test_an_event_without_what_we_read_is_malformed():
    event = StripeEvent("evt_1", "refund.updated", datetime.now(UTC), {"object": "refund", "id": "re_1"})
    with pytest.raises(MalformedWebhook):
        to_payment_event(event)
    other = to_payment_event(StripeEvent("evt_2", "invoice.paid", datetime.now(UTC), {"object": "invoice"}))
    assert (other.checkout, other.refund, other.account) == (None, None, None)


async def _paid_order(payments: StripeTicketPayments, stripe_server: LocalStripe) -> Order:
    link = await payments.open_checkout(_order(), title="AMA")
    paid = await stripe_server.pay(link.session_id)
    return _order(state=OrderState.REFUND_DUE, payment_intent=paid["payment_intent"])


async def test_a_pending_refund_is_not_done_until_stripe_says_so(
    payments: StripeTicketPayments, stripe_server: LocalStripe
):
    order = await _paid_order(payments, stripe_server)
    stripe_server.refund_status = "pending"

    asked = await payments.refund(order)
    replayed = await payments.refund(order)  # the same key: Stripe replays its first answer
    assert asked.status is RefundStatus.PENDING and replayed == asked
    await stripe_server.settle_refund(str(asked.refund_id))
    now = await payments.refund(Order(**{**_fields(order), "refund_id": asked.refund_id}))

    assert now.status is RefundStatus.SUCCEEDED and len(stripe_server.objects("refund")) == 1
    kinds = [e["type"] for e in stripe_server.events() if "refund" in e["type"]]
    assert kinds == ["refund.created", "charge.refunded", "refund.updated", "charge.refund.updated"]
    # Stripe counts a pending refund as refunded on the charge and says so at once: why we don't listen to it.
    assert stripe_server.events("charge.refunded")[0]["data"]["object"]["refunded"] is True


async def test_a_failed_refund_gives_the_charge_back_and_a_new_key(
    payments: StripeTicketPayments, stripe_server: LocalStripe
):
    order = await _paid_order(payments, stripe_server)
    stripe_server.refund_status = "pending"
    first = await payments.refund(order)
    await stripe_server.settle_refund(str(first.refund_id), succeeded=False, failure_reason="expired_or_canceled_card")

    failed = to_payment_event(StripeEvent.from_json(stripe_server.events("refund.failed")[0]))
    assert failed.refund is not None and failed.refund.status is RefundStatus.FAILED
    assert (failed.refund.failure_reason, failed.refund.order_id) == ("expired_or_canceled_card", "order1")
    assert stripe_server.objects("charge")[0]["amount_refunded"] == 0  # refundable again
    stripe_server.refund_status = "succeeded"
    retry = await payments.refund(Order(**{**_fields(order), "refund_attempts": 1}))  # key refund-order1-2

    assert retry.status is RefundStatus.SUCCEEDED and retry.refund_id != first.refund_id
    assert len(stripe_server.objects("refund")) == 2


async def test_a_refund_made_elsewhere_is_reported_as_it_stands(
    payments: StripeTicketPayments, stripe_server: LocalStripe
):
    order = await _paid_order(payments, stripe_server)
    stripe_server.refund_status = "pending"
    dashboard = await stripe_server.dashboard_refund(str(order.payment_intent))

    answer = await payments.refund(order)  # nothing left to refund: the dashboard's refund holds the money

    assert (answer.refund_id, answer.status) == (dashboard["id"], RefundStatus.PENDING)
    event = to_payment_event(StripeEvent.from_json(stripe_server.events("refund.created")[0]))
    assert event.refund is not None and (event.refund.order_id, event.refund.payment_intent) == (
        None,
        order.payment_intent,
    )


def _fields(order: Order) -> dict[str, object]:
    return {name: getattr(order, name) for name in Order.__dataclass_fields__}
