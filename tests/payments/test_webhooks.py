"""Webhooks: the SDK's signature checked on the raw body, and deliveries as Stripe makes them, faults included."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from payments import ForgedWebhook, MalformedWebhook, StaleWebhook, StripeGateway, UnsignedWebhook, WebhookVerifier
from stripe_sandbox import LocalStripe
from tests.payments.conftest import Hook, buy

SECRET = "whsec_test_secret"
EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "checkout.session.completed",
    "created": 1_700_000_000,
    "data": {"object": {"id": "cs_test_1", "object": "checkout.session"}},
}


def signed(payload: str, secret: str = SECRET, age: int = 0) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, int(time.time()) - age)


def test_a_signed_event_is_accepted_as_typed_event():
    body = json.dumps(EVENT)

    event = WebhookVerifier(SECRET).verify(body.encode(), signed(body))

    assert (event.id, event.type, event.object_type) == ("evt_1", "checkout.session.completed", "checkout.session")


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, UnsignedWebhook),
        ("", UnsignedWebhook),
        ("garbage", ForgedWebhook),
        ("forged", ForgedWebhook),
        ("stale", StaleWebhook),
        ("stale and forged", ForgedWebhook),
    ],
)
def test_unsigned_forged_and_stale_requests_are_refused(header: str | None, error: type[Exception]):
    body = json.dumps(EVENT)
    headers = {
        "forged": signed(body, "whsec_someone_else"),
        "stale": signed(body, age=301),
        "stale and forged": signed(body, "whsec_someone_else", age=3600),
    }

    with pytest.raises(error):
        WebhookVerifier(SECRET).verify(body.encode(), headers.get(header or "", header))


def test_a_body_changed_after_signing_is_forged():
    body = json.dumps(EVENT)
    header = signed(body)

    with pytest.raises(ForgedWebhook):
        WebhookVerifier(SECRET).verify(body.replace("cs_test_1", "cs_test_2").encode(), header)


def test_a_signed_body_that_is_no_event_is_malformed():
    for body in ("not json", json.dumps({"object": "checkout.session"}), "[1, 2]", '"event"', json.dumps({})):
        with pytest.raises(MalformedWebhook):
            WebhookVerifier(SECRET).verify(body.encode(), signed(body))


def test_a_body_that_is_not_utf8_is_malformed():
    with pytest.raises(MalformedWebhook):
        WebhookVerifier(SECRET).verify(b"\xff\xfe{}", signed("{}"))


def test_the_event_is_read_from_the_verified_bytes_as_sent():
    body = json.dumps({**EVENT, "data": {"object": {"id": "cs_test_1", "object": "checkout.session", "n": [1, {}]}}})

    event = WebhookVerifier(SECRET).verify(body.encode(), signed(body))

    assert event.object == {"id": "cs_test_1", "object": "checkout.session", "n": [1, {}]}
    assert event.created.timestamp() == EVENT["created"]


async def test_a_payment_is_delivered_signed(gateway: StripeGateway, stripe_server: LocalStripe, hook: Hook):
    link = await buy(gateway, "order-1")

    await stripe_server.pay(link.session_id)

    types = [e.type for e in hook.receiver.accepted]
    assert types == ["charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"]
    assert hook.receiver.accepted[-1].checkout_session().paid
    assert all(d.ok for d in stripe_server.deliveries)


async def test_duplicates_reordering_and_a_lost_webhook(gateway: StripeGateway, stripe_server: LocalStripe, hook: Hook):
    stripe_server.lose_next("checkout.session.completed")
    link = await buy(gateway, "order-1")
    await stripe_server.pay(link.session_id)
    await stripe_server.expire((await buy(gateway, "order-2")).session_id)
    completed = stripe_server.events("checkout.session.completed")[0]
    expired = stripe_server.events("checkout.session.expired")[0]
    assert completed["id"] in stripe_server.webhooks.lost
    assert "checkout.session.completed" not in [e.type for e in hook.receiver.accepted]
    hook.receiver.accepted.clear()

    await stripe_server.deliver(expired["id"])
    await stripe_server.deliver(completed["id"], times=5)

    assert [e.id for e in hook.receiver.accepted] == [expired["id"]] + [completed["id"]] * 5


async def test_forged_stale_and_unsigned_deliveries_get_400(stripe_server: LocalStripe, hook: Hook):
    stripe_server.automatic_delivery = False
    account = stripe_server.ledger.record_event("account.updated", {"id": "acct_1", "object": "account"})

    forged = await stripe_server.deliver(account["id"], signing="forged")
    unsigned = await stripe_server.deliver(account["id"], signing="unsigned")
    stale = await stripe_server.deliver(account["id"], timestamp=int(time.time()) - 600)

    assert [d.status for d in forged + unsigned + stale] == [400, 400, 400]
    assert [type(e) for e in hook.receiver.refused] == [ForgedWebhook, UnsignedWebhook, StaleWebhook]
    assert hook.receiver.accepted == []
