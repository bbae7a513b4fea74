"""Verify a Stripe webhook on its raw body and turn it into a ``StripeEvent``; refuse anything else.

The signature (``Stripe-Signature: t=..,v1=..``) is checked by the SDK's ``stripe.WebhookSignature.verify_header``
(HMAC-SHA256 of ``"<t>.<body>"`` with the signing secret, constant-time compare, timestamp tolerance) over the
exact bytes received, so the endpoint must pass ``await request.read()``, never re-serialised JSON. Only then
is the body parsed, with ``json.loads`` straight into our own ``StripeEvent``: the SDK's
``Webhook.construct_event`` would build a tree of ``StripeObject``s that we would only turn back into dicts
(~0.1 ms an event, most of the verification's cost; see docs/BENCHMARKS.md).
Every refusal is a ``WebhookRejected`` the endpoint answers with 400 before touching anything.
"""

from __future__ import annotations

import json

import stripe

from payments.errors import ForgedWebhook, MalformedWebhook, StaleWebhook, UnsignedWebhook
from payments.models import StripeEvent

__all__ = ["DEFAULT_TOLERANCE", "WebhookVerifier"]

DEFAULT_TOLERANCE = 300  # seconds, Stripe's default: older signatures may be replays


class WebhookVerifier:
    def __init__(self, secret: str, *, tolerance: int = DEFAULT_TOLERANCE) -> None:
        if not secret.startswith("whsec_"):
            raise ValueError("a webhook signing secret starts with whsec_")
        if tolerance <= 0:
            raise ValueError("the tolerance must be positive (0 would accept replays of any age)")
        self._secret = secret
        self.tolerance = tolerance

    def verify(self, payload: bytes, signature: str | None) -> StripeEvent:
        """The event, or ``UnsignedWebhook`` / ``ForgedWebhook`` / ``StaleWebhook`` / ``MalformedWebhook``."""
        if not signature:
            raise UnsignedWebhook("the request has no Stripe-Signature header")
        try:
            stripe.WebhookSignature.verify_header(payload, signature, self._secret, self.tolerance)
        except stripe.SignatureVerificationError as error:
            raise self._classify(payload, signature) from error
        except ValueError as error:  # a body that is not UTF-8 (the signature is over its text)
            raise MalformedWebhook(f"the signed body is not a Stripe event: {error}") from error
        try:
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise ValueError(f"a JSON {type(data).__name__}, not an object")
            return StripeEvent.from_json(data)
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedWebhook(f"the signed body is not a Stripe event: {error!r}") from error

    def _classify(self, payload: bytes, signature: str) -> ForgedWebhook | StaleWebhook:
        """The SDK says only "failed"; a signature that is right but old is a replay, not a forgery."""
        try:
            # tolerance=None: the same check without the age limit.
            stripe.WebhookSignature.verify_header(payload, signature, self._secret, None)
        except (stripe.SignatureVerificationError, ValueError):
            return ForgedWebhook("the Stripe-Signature does not match the body and our signing secret")
        return StaleWebhook(f"the signature is older than {self.tolerance} s (a replay?)")
