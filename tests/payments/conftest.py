"""Fixtures: the local Stripe server, our gateway on the real SDK pointed at it, and a webhook receiver.

The receiver is a minimal stand-in for the bot's endpoint: it verifies with ``WebhookVerifier`` and answers
400 to whatever that refuses, as the real endpoint must.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from payments import CheckoutLink, StripeEvent, StripeGateway, WebhookRejected, WebhookVerifier
from stripe_sandbox import LocalStripe, WebhookEndpoint

SUCCESS_URL = "https://spaces.example/paid?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://spaces.example/cancelled"


@pytest.fixture
async def stripe_server() -> AsyncIterator[LocalStripe]:
    async with LocalStripe() as server:
        yield server


@pytest.fixture
async def gateway(stripe_server: LocalStripe) -> AsyncIterator[StripeGateway]:
    client = StripeGateway(stripe_server.api_key, api_base=stripe_server.url, max_network_retries=0)
    try:
        yield client
    finally:
        await client.aclose()


async def buy(gateway: StripeGateway, order_id: str, amount_cents: int = 500, **options: object) -> CheckoutLink:
    return await gateway.create_checkout(
        order_id=order_id,
        amount_cents=amount_cents,
        currency="usd",
        title="AMA with Ada",
        success_url=SUCCESS_URL,
        cancel_url=CANCEL_URL,
        idempotency_key=f"checkout-{order_id}",
        **options,  # type: ignore[arg-type]
    )


@dataclass
class Receiver:
    verifier: WebhookVerifier
    url: str = ""
    accepted: list[StripeEvent] = field(default_factory=list)
    refused: list[WebhookRejected] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            event = self.verifier.verify(await request.read(), request.headers.get("Stripe-Signature"))
        except WebhookRejected as error:
            self.refused.append(error)
            return web.json_response({"error": error.message}, status=400)
        self.accepted.append(event)
        return web.json_response({"received": True})


@dataclass
class Hook:
    receiver: Receiver
    endpoint: WebhookEndpoint


@pytest.fixture
async def hook(stripe_server: LocalStripe) -> AsyncIterator[Hook]:
    """A receiver subscribed to every event type, with its own signing secret."""
    app = web.Application()
    runner = web.AppRunner(app, access_log=None)
    endpoint = None
    receiver = Receiver(WebhookVerifier("whsec_placeholder"))
    app.router.add_post("/stripe/webhook", receiver.handle)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/stripe/webhook"
    endpoint = stripe_server.add_webhook_endpoint(receiver.url)
    receiver.verifier = WebhookVerifier(endpoint.secret)
    try:
        yield Hook(receiver, endpoint)
    finally:
        await runner.cleanup()
