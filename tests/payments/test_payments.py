"""After the buyer pays: events, async settlement, refunds, and Connect destination charges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payments import AlreadyRefunded, PaymentRejected, StripeGateway
from stripe_sandbox import LocalStripe
from tests.payments.conftest import buy


async def test_a_payment_completes_the_session_and_is_listed_as_an_event(
    gateway: StripeGateway, stripe_server: LocalStripe
):
    since = datetime.now(UTC) - timedelta(seconds=1)
    link = await buy(gateway, "order-1", 500)

    await stripe_server.pay(link.session_id)

    session = await gateway.retrieve_checkout(link.session_id)
    assert session.paid and session.payment_intent is not None
    events = await gateway.list_events(since, types=["checkout.session.completed"])
    assert [e.type for e in events] == ["checkout.session.completed"]
    completed = events[0].checkout_session()
    assert (completed.id, completed.client_reference_id, completed.paid) == (link.session_id, "order-1", True)
    everything = [e.type for e in await gateway.list_events(since)]
    assert everything == ["charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"]
    charge = stripe_server.objects("charge")[0]
    assert charge["metadata"] == {"order_id": "order-1"}  # copied from the PaymentIntent, as Stripe does


async def test_an_async_payment_completes_unpaid_then_settles(gateway: StripeGateway, stripe_server: LocalStripe):
    since = datetime.now(UTC) - timedelta(seconds=1)
    good, bad = await buy(gateway, "order-1"), await buy(gateway, "order-2")

    await stripe_server.pay(good.session_id, delayed=True)
    await stripe_server.pay(bad.session_id, delayed=True)
    waiting = await gateway.retrieve_checkout(good.session_id)
    await stripe_server.settle(good.session_id, succeeded=True)
    await stripe_server.settle(bad.session_id, succeeded=False)

    assert (waiting.status, waiting.paid) == ("complete", False)
    assert (await gateway.retrieve_checkout(good.session_id)).paid
    assert not (await gateway.retrieve_checkout(bad.session_id)).paid
    events = await gateway.list_events(since, types=["checkout.session.*"])
    assert [(e.type, e.checkout_session().client_reference_id) for e in events] == [
        ("checkout.session.completed", "order-1"),
        ("checkout.session.completed", "order-2"),
        ("checkout.session.async_payment_succeeded", "order-1"),
        ("checkout.session.async_payment_failed", "order-2"),
    ]


async def test_a_refund_under_the_same_key_happens_once(gateway: StripeGateway, stripe_server: LocalStripe):
    link = await buy(gateway, "order-1", 500)
    paid = await stripe_server.pay(link.session_id)

    first = await gateway.refund(paid["payment_intent"], idempotency_key="refund-ticket-1")
    again = await gateway.refund(paid["payment_intent"], idempotency_key="refund-ticket-1")

    assert first == again
    assert (first.amount, first.status, first.payment_intent) == (500, "succeeded", paid["payment_intent"])
    assert len(stripe_server.objects("refund")) == 1
    assert len(stripe_server.events("charge.refunded")) == 1
    with pytest.raises(AlreadyRefunded):
        await gateway.refund(paid["payment_intent"], idempotency_key="refund-ticket-1-other-key")


async def test_an_unpaid_session_cannot_be_refunded(gateway: StripeGateway, stripe_server: LocalStripe):
    link = await buy(gateway, "order-1")
    waiting = await stripe_server.pay(link.session_id, delayed=True)

    with pytest.raises(PaymentRejected, match="does not have a successful charge"):
        await gateway.refund(waiting["payment_intent"], idempotency_key="refund-1")


async def test_a_host_onboards_then_is_paid_by_destination_charge(gateway: StripeGateway, stripe_server: LocalStripe):
    account = await gateway.create_connect_account(idempotency_key="host-7", email="ada@example.com", host_ref="7")
    url = await gateway.onboarding_link(account, refresh_url="https://x/refresh", return_url="https://x/done")
    assert url.startswith(f"{stripe_server.url}/setup/e/{account}/")
    assert not (await gateway.retrieve_account(account)).ready
    with pytest.raises(PaymentRejected, match="capabilities"):
        await buy(gateway, "order-0", 1000, destination=account, fee_cents=100)

    await stripe_server.complete_onboarding(account)
    link = await buy(gateway, "order-1", 1000, destination=account, fee_cents=100)
    paid = await stripe_server.pay(link.session_id)

    assert (await gateway.retrieve_account(account)).ready
    intent = stripe_server.get("payment_intent", paid["payment_intent"])
    charge = stripe_server.get("charge", intent["latest_charge"])
    for money in (intent, charge):
        assert money["application_fee_amount"] == 100
        assert money["transfer_data"] == {"destination": account}
    refund = await gateway.refund(paid["payment_intent"], idempotency_key="r-1", reverse_transfer=True)
    assert refund.amount == 1000
