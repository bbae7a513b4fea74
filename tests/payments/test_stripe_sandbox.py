"""The local server itself, through the raw SDK and plain HTTP: what our gateway does not exercise."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import stripe

from stripe_sandbox import LocalStripe
from stripe_sandbox.errors import StripeApiError
from tests.payments.conftest import Hook

LINE = {"quantity": 2, "price_data": {"currency": "usd", "unit_amount": 300, "product_data": {"name": "Seat"}}}


@pytest.fixture
async def sdk(stripe_server: LocalStripe) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.AIOHTTPClient()
    yield stripe.StripeClient(stripe_server.api_key, base_addresses={"api": stripe_server.url}, http_client=http)
    await http.close_async()  # type: ignore[no-untyped-call]


async def test_requests_without_our_key_are_refused(stripe_server: LocalStripe):
    async with aiohttp.ClientSession() as http, http.get(f"{stripe_server.url}/v1/events") as response:
        body = await response.json()
    assert response.status == 401
    assert "did not provide an API key" in body["error"]["message"]


async def test_unknown_parameters_and_routes_are_refused(sdk: stripe.StripeClient):
    params = {"mode": "payment", "line_items": [LINE], "colour": "red"}
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: colour"):
        await sdk.v1.checkout.sessions.create_async(params)  # type: ignore[arg-type]
    with pytest.raises(stripe.InvalidRequestError, match="Unrecognized request URL"):
        await sdk.v1.customers.retrieve_async("cus_1")


async def test_events_page_by_cursor_and_filter_by_type(sdk: stripe.StripeClient, stripe_server: LocalStripe):
    sessions = [
        await sdk.v1.checkout.sessions.create_async({"mode": "payment", "line_items": [LINE]}) for _ in range(3)
    ]
    for session in sessions:
        await stripe_server.expire(session.id)

    first = await sdk.v1.events.list_async({"type": "checkout.session.expired", "limit": 2})
    rest = await sdk.v1.events.list_async({"type": "checkout.session.expired", "starting_after": first.data[-1].id})

    assert first.has_more and not rest.has_more
    newest_first = [s.id for s in reversed(sessions)]
    assert [e.data.object["id"] for e in [*first.data, *rest.data]] == newest_first
    assert (await sdk.v1.events.list_async({"type": "charge.*"})).data == []


async def test_expand_payment_intent_on_a_paid_session(sdk: stripe.StripeClient, stripe_server: LocalStripe):
    session = await sdk.v1.checkout.sessions.create_async({"mode": "payment", "line_items": [LINE]})
    await stripe_server.pay(session.id)

    expanded = await sdk.v1.checkout.sessions.retrieve_async(session.id, {"expand": ["payment_intent"]})

    assert expanded.amount_total == 600
    assert isinstance(expanded.payment_intent, stripe.PaymentIntent)
    assert expanded.payment_intent.status == "succeeded"


async def test_the_hosted_page_pays_and_redirects(sdk: stripe.StripeClient, stripe_server: LocalStripe, hook: Hook):
    session = await sdk.v1.checkout.sessions.create_async(
        {"mode": "payment", "line_items": [LINE], "success_url": "https://x/ok?s={CHECKOUT_SESSION_ID}"}
    )
    assert session.url is not None

    async with aiohttp.ClientSession() as http:
        async with http.get(session.url) as page:
            assert "Pay 6.00 USD" in await page.text()
        async with http.post(session.url, allow_redirects=False) as paid:
            assert paid.headers["Location"] == f"https://x/ok?s={session.id}"
    await stripe_server.webhooks.drain()

    assert "checkout.session.completed" in [e.type for e in hook.receiver.accepted]


async def test_failed_deliveries_can_be_redelivered(stripe_server: LocalStripe, hook: Hook):
    dead = stripe_server.add_webhook_endpoint("http://127.0.0.1:9/nowhere", events=("account.updated",))
    stripe_server.ledger.record_event("account.updated", {"id": "acct_1", "object": "account"})
    await stripe_server.webhooks.drain()

    failed = [d for d in stripe_server.deliveries if d.endpoint_id == dead.id]
    retried = await stripe_server.webhooks.redeliver_failed()

    assert [d.status for d in failed] == [None]
    assert [d.endpoint_id for d in retried] == [dead.id]


async def test_refunds_pending_then_failed_as_on_stripe(sdk: stripe.StripeClient, stripe_server: LocalStripe):
    session = await sdk.v1.checkout.sessions.create_async({"mode": "payment", "line_items": [LINE]})
    intent = str((await stripe_server.pay(session.id))["payment_intent"])
    stripe_server.refund_status = "pending"

    refund = await sdk.v1.refunds.create_async({"payment_intent": intent})
    listed = await sdk.v1.refunds.list_async({"payment_intent": intent})
    assert refund.status == "pending" and [r.id for r in listed.data] == [refund.id]
    with pytest.raises(StripeApiError, match="failure_reason"):  # a control used wrongly
        await stripe_server.settle_refund(refund.id, succeeded=False, failure_reason="bad_luck")
    await stripe_server.settle_refund(refund.id, succeeded=False, failure_reason="declined")
    with pytest.raises(StripeApiError, match="is failed"):
        await stripe_server.settle_refund(refund.id)  # a failed refund stays failed

    failed = await sdk.v1.refunds.retrieve_async(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "declined")
    types = [e["type"] for e in stripe_server.events() if "refund" in e["type"]]
    assert types == ["refund.created", "charge.refunded", "refund.updated", "charge.refund.updated", "refund.failed"]
    update = stripe_server.events("refund.updated")[0]["data"]
    assert (update["object"]["status"], update["previous_attributes"]["status"]) == ("failed", "pending")
    again = await sdk.v1.refunds.create_async({"payment_intent": intent})  # the amount came back to the charge
    assert again.id != refund.id


async def test_a_held_path_answers_only_when_released(sdk: stripe.StripeClient, stripe_server: LocalStripe):
    stripe_server.hold("/v1/events")
    listing = asyncio.ensure_future(sdk.v1.events.list_async())
    await asyncio.sleep(0)  # (let the request go out; it must still be waiting below)
    session = await sdk.v1.checkout.sessions.create_async({"mode": "payment", "line_items": [LINE]})

    assert session.id and not listing.done()  # other paths are not held
    stripe_server.release("/v1/events")
    assert (await listing).data == []
