"""Checkout Sessions through our gateway and the real SDK: create, retrieve, expire, list, idempotency, rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payments import IdempotencyConflict, PaymentRejected, PaymentsMisconfigured, StripeGateway, StripeObjectMissing
from stripe_sandbox import LocalStripe
from tests.payments.conftest import SUCCESS_URL, buy


async def test_a_checkout_session_carries_our_order(gateway: StripeGateway, stripe_server: LocalStripe):
    link = await buy(gateway, "order-1", 500, metadata={"space": "42"})

    assert link.session_id.startswith("cs_test_")
    assert link.url == f"{stripe_server.url}/c/pay/{link.session_id}"
    session = await gateway.retrieve_checkout(link.session_id)
    assert (session.status, session.payment_status, session.paid) == ("open", "unpaid", False)
    assert (session.amount_total, session.currency) == (500, "usd")
    assert session.client_reference_id == "order-1"
    assert session.metadata == {"space": "42", "order_id": "order-1"}
    assert session.payment_intent is None  # Stripe makes the PaymentIntent only when the buyer pays
    lifetime = session.expires_at - session.created
    assert timedelta(minutes=30) <= lifetime <= timedelta(minutes=31)
    raw = stripe_server.get("checkout.session", link.session_id)
    assert raw["success_url"] == SUCCESS_URL
    assert raw["mode"] == "payment"


async def test_the_same_idempotency_key_makes_one_session(gateway: StripeGateway, stripe_server: LocalStripe):
    deadline = datetime.now(UTC) + timedelta(minutes=31)

    first = await buy(gateway, "order-1", expires_at=deadline)
    again = await buy(gateway, "order-1", expires_at=deadline)

    assert first == again
    assert len(stripe_server.objects("checkout.session")) == 1


async def test_the_same_key_with_other_parameters_is_refused(gateway: StripeGateway, stripe_server: LocalStripe):
    await buy(gateway, "order-1", 500)

    with pytest.raises(IdempotencyConflict, match="same parameters"):
        await buy(gateway, "order-1", 700)
    assert len(stripe_server.objects("checkout.session")) == 1


async def test_expiring_an_open_session_and_then_a_paid_one(gateway: StripeGateway, stripe_server: LocalStripe):
    open_one, paid_one = await buy(gateway, "order-1"), await buy(gateway, "order-2")
    await stripe_server.pay(paid_one.session_id)

    expired = await gateway.expire_checkout(open_one.session_id)
    already_paid = await gateway.expire_checkout(paid_one.session_id)

    assert (expired.status, expired.url) == ("expired", None)
    assert already_paid.paid  # too late to expire: the final state says so instead of an error
    assert [e["data"]["object"]["id"] for e in stripe_server.events("checkout.session.expired")] == [
        open_one.session_id
    ]


async def test_sessions_expire_by_themselves_when_their_time_is_up(gateway: StripeGateway, stripe_server: LocalStripe):
    link = await buy(gateway, "order-1")

    assert await stripe_server.advance(31 * 60) == [link.session_id]
    assert (await gateway.retrieve_checkout(link.session_id)).status == "expired"


async def test_recent_sessions_are_listed_newest_first_across_pages(gateway: StripeGateway, stripe_server: LocalStripe):
    since = datetime.now(UTC) - timedelta(seconds=1)
    links = [await buy(gateway, f"order-{i}") for i in range(105)]  # more than one page of 100

    listed = await gateway.list_checkouts(since)

    assert [s.id for s in listed] == [link.session_id for link in reversed(links)]
    assert await gateway.list_checkouts(datetime.now(UTC) + timedelta(minutes=1)) == []


async def test_stripe_rules_reach_the_caller(gateway: StripeGateway):
    too_soon = datetime.now(UTC) + timedelta(minutes=10)
    with pytest.raises(PaymentRejected, match="at least 30 minutes") as refused:
        await buy(gateway, "order-1", expires_at=too_soon)
    assert refused.value.param == "expires_at"
    with pytest.raises(PaymentRejected, match=r"at least 0\.50"):
        await buy(gateway, "order-2", 20)
    with pytest.raises(StripeObjectMissing):
        await gateway.retrieve_checkout("cs_test_nope")


async def test_arguments_we_would_never_send_fail_before_any_request(gateway: StripeGateway):
    with pytest.raises(ValueError, match="positive"):
        await buy(gateway, "order-1", 0)
    with pytest.raises(ValueError, match="30 minutes"):
        await buy(gateway, "order-1", expires_in=timedelta(minutes=5))
    with pytest.raises(ValueError, match="destination"):
        await buy(gateway, "order-1", fee_cents=50)


async def test_a_wrong_secret_key_is_a_configuration_error(stripe_server: LocalStripe):
    intruder = StripeGateway("sk_test_wrong", api_base=stripe_server.url, max_network_retries=0)
    try:
        with pytest.raises(PaymentsMisconfigured, match="Invalid API Key"):
            await intruder.retrieve_checkout("cs_test_any")
    finally:
        await intruder.aclose()
