"""Errors of the Stripe adapter, one root (``PaymentsError``), each with a sentence an operator can act on.

Stripe's own exceptions stop here: callers see whether Stripe refused the request (``PaymentRejected`` and its
precise kinds), could not be reached (``PaymentsUnavailable``, worth retrying with the same idempotency key)
or was misconfigured (``PaymentsMisconfigured``), and why a webhook was refused (``WebhookRejected``).
"""

from __future__ import annotations

__all__ = [
    "AlreadyRefunded",
    "ForgedWebhook",
    "IdempotencyConflict",
    "MalformedWebhook",
    "PaymentRejected",
    "PaymentsError",
    "PaymentsMisconfigured",
    "PaymentsUnavailable",
    "StaleWebhook",
    "StripeObjectMissing",
    "UnsignedWebhook",
    "WebhookRejected",
]


class PaymentsError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PaymentsUnavailable(PaymentsError):
    """Stripe could not be reached or failed (network, 5xx, rate limit); retry with the same idempotency key."""


class PaymentsMisconfigured(PaymentsError):
    """The secret key is missing, wrong or lacks a permission."""


class PaymentRejected(PaymentsError):
    """Stripe refused the request; ``code`` and ``param`` are Stripe's."""

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.param = param


class IdempotencyConflict(PaymentRejected):
    """The idempotency key was already used with other parameters: a bug in the caller, never retry it."""


class AlreadyRefunded(PaymentRejected):
    """The charge has nothing left to refund."""


class StripeObjectMissing(PaymentRejected):
    """No such session, payment, account... (wrong id, or another Stripe account's)."""


class WebhookRejected(PaymentsError):
    """A request to the webhook endpoint that must be answered 400 and change nothing."""


class UnsignedWebhook(WebhookRejected):
    pass


class ForgedWebhook(WebhookRejected):
    pass


class StaleWebhook(WebhookRejected):
    pass


class MalformedWebhook(WebhookRejected):
    pass
