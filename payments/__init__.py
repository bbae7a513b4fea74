"""The Stripe adapter: Checkout, refunds, events and Connect over the official SDK, and webhook verification.

Imports ``spaces_core`` at most, never ``bot`` or ``discord``.
"""

from payments.errors import (
    AlreadyRefunded,
    ForgedWebhook,
    IdempotencyConflict,
    MalformedWebhook,
    PaymentRejected,
    PaymentsError,
    PaymentsMisconfigured,
    PaymentsUnavailable,
    StaleWebhook,
    StripeObjectMissing,
    UnsignedWebhook,
    WebhookRejected,
)
from payments.models import CheckoutLink, CheckoutSession, ConnectAccount, Refund, StripeEvent
from payments.stripe_gateway import StripeGateway
from payments.tickets import StripeTicketPayments, to_payment_event
from payments.webhooks import WebhookVerifier

__all__ = [
    "AlreadyRefunded",
    "CheckoutLink",
    "CheckoutSession",
    "ConnectAccount",
    "ForgedWebhook",
    "IdempotencyConflict",
    "MalformedWebhook",
    "PaymentRejected",
    "PaymentsError",
    "PaymentsMisconfigured",
    "PaymentsUnavailable",
    "Refund",
    "StaleWebhook",
    "StripeEvent",
    "StripeGateway",
    "StripeObjectMissing",
    "StripeTicketPayments",
    "UnsignedWebhook",
    "WebhookRejected",
    "WebhookVerifier",
    "to_payment_event",
]
