"""A local Stripe-compatible test server for the real ``stripe`` SDK (tests and the offline demo).

Standalone on purpose: it imports nothing of the product, so the code under test cannot bend it. It serves the
part of Stripe's API that ticketed Spaces use, with Stripe's rules and answers, over form-encoded requests:

- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions[/{id}]``, ``POST /v1/checkout/sessions/{id}/expire``
- ``POST /v1/refunds``, ``GET /v1/refunds/{id}``, ``GET /v1/payment_intents/{id}``, ``GET /v1/charges/{id}``
- ``GET /v1/events[/{id}]`` (``type`` with ``.*`` wildcards, ``types[]``, ``created[gte|gt|lte|lt]``, cursors)
- ``POST /v1/accounts`` (Express), ``GET /v1/accounts/{id}``, ``POST /v1/account_links``
- the hosted pages: ``/c/pay/{session}`` (a Pay button) and ``/setup/e/{account}/{token}`` (finish onboarding)

See :class:`LocalStripe` for the test controls (pay, expire, async settlement, clock, webhook faults).
"""

from stripe_sandbox.delivery import Delivery, Signing, WebhookEndpoint
from stripe_sandbox.server import LocalStripe

__all__ = ["Delivery", "LocalStripe", "Signing", "WebhookEndpoint"]
