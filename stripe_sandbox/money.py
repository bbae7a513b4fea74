"""PaymentIntents, Charges and Refunds: what a paid Checkout Session leaves behind, and refunds of it.

A destination charge keeps ``application_fee_amount`` and ``transfer_data[destination]`` on both the
PaymentIntent and its Charge; Stripe copies the PaymentIntent's metadata to the Charge, and so do we. Refunds
start ``succeeded`` or ``pending`` and may fail later (:func:`settle_refund`), with the events Stripe sends.
"""

from __future__ import annotations

import copy

from stripe_sandbox.errors import invalid_request
from stripe_sandbox.forms import Params, as_dict, get_int, get_str
from stripe_sandbox.ledger import JSON, Ledger

__all__ = [
    "REFUND_FAILURES",
    "REFUND_PARAMS",
    "create_payment_intent",
    "create_refund",
    "fail",
    "settle_refund",
    "succeed",
]

REFUND_PARAMS = frozenset(
    {"payment_intent", "charge", "amount", "reason", "metadata", "refund_application_fee", "reverse_transfer", "expand"}
)
_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
# The Refund object's failure_reason values (Stripe API reference).
REFUND_FAILURES = frozenset(
    {
        "charge_for_pending_refund_disputed", "declined", "expired_or_canceled_card", "insufficient_funds",
        "lost_or_stolen_card", "merchant_request", "unknown",
    }
)  # fmt: skip


def create_payment_intent(ledger: Ledger, session: JSON, intent_data: JSON) -> JSON:
    return ledger.add(
        {
            "id": ledger.new_id("pi"),
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": 0,
            "application_fee_amount": intent_data["application_fee_amount"],
            "created": ledger.clock(),
            "currency": session["currency"],
            "description": intent_data["description"],
            "latest_charge": None,
            "livemode": False,
            "metadata": dict(intent_data["metadata"]),
            "status": "processing",
            "transfer_data": copy.deepcopy(intent_data["transfer_data"]),
        }
    )


def succeed(ledger: Ledger, intent: JSON) -> JSON:
    transfer = intent["transfer_data"]
    charge = ledger.add(
        {
            "id": ledger.new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "application_fee_amount": intent["application_fee_amount"],
            "created": ledger.clock(),
            "currency": intent["currency"],
            "destination": transfer["destination"] if transfer else None,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "paid": True,
            "payment_intent": intent["id"],
            "refunded": False,
            "status": "succeeded",
            "transfer_data": copy.deepcopy(transfer),
        }
    )
    intent.update(status="succeeded", latest_charge=charge["id"], amount_received=intent["amount"])
    ledger.record_event("charge.succeeded", charge)
    ledger.record_event("payment_intent.succeeded", intent)
    return charge


def fail(ledger: Ledger, intent: JSON) -> None:
    intent["status"] = "requires_payment_method"
    ledger.record_event("payment_intent.payment_failed", intent)


def _charge_to_refund(ledger: Ledger, params: Params) -> JSON:
    intent_id, charge_id = get_str(params, "payment_intent"), get_str(params, "charge")
    if intent_id is None and charge_id is None:
        raise invalid_request(
            "One of the following params should be provided for this request: payment_intent or charge.",
            code="parameter_missing",
        )
    if charge_id is not None:
        return ledger.get("charge", charge_id, param="charge")
    intent = ledger.get("payment_intent", intent_id or "", param="payment_intent")
    if intent["latest_charge"] is None or intent["status"] != "succeeded":
        raise invalid_request(
            f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
            param="payment_intent",
            code="charge_not_refundable",
        )
    return ledger.get("charge", intent["latest_charge"])


def create_refund(ledger: Ledger, params: Params, *, status: str = "succeeded") -> JSON:
    """A refund of (part of) a charge. ``status``: what the card network answers at once, ``succeeded`` or
    ``pending`` (as with Stripe's test card 4000 0000 0000 7726), finished later by :func:`settle_refund`. As on
    Stripe, a pending refund already counts in the charge's ``amount_refunded`` and sends ``charge.refunded``."""
    unknown = sorted(set(params) - REFUND_PARAMS)
    if unknown:
        raise invalid_request(f"Received unknown parameter: {unknown[0]}", param=unknown[0])
    charge = _charge_to_refund(ledger, params)
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining == 0:
        raise invalid_request(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = get_int(params, "amount", default=remaining)
    assert amount is not None
    if not 0 < amount <= remaining:
        raise invalid_request(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})", param="amount"
        )
    reason = get_str(params, "reason")
    if reason is not None and reason not in _REASONS:
        raise invalid_request(f"Invalid reason: must be one of {', '.join(sorted(_REASONS))}", param="reason")
    refund = ledger.add(
        {
            "id": ledger.new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": ledger.clock(),
            "currency": charge["currency"],
            "metadata": {str(k): str(v) for k, v in as_dict(params, "metadata").items()},
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": status,
            "failure_reason": None,
            "failure_balance_transaction": None,
        }
    )
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    ledger.record_event("refund.created", refund)
    ledger.record_event("charge.refunded", charge, previous)
    return refund


def settle_refund(ledger: Ledger, refund_id: str, *, succeeded: bool, failure_reason: str = "unknown") -> JSON:
    """A pending refund succeeds or fails; a succeeded one may still fail later (Stripe's test card 4000 0000 0000
    5126). A failure gives the amount back to the charge (it can be refunded again) and sends ``refund.failed``;
    every change sends ``refund.updated`` and ``charge.refund.updated``, with the previous status."""
    refund = ledger.get("refund", refund_id)
    if refund["status"] not in ("pending", "succeeded") or (succeeded and refund["status"] == "succeeded"):
        raise invalid_request(f"Refund {refund_id} is {refund['status']}: it can't become that.")
    if failure_reason not in REFUND_FAILURES:
        raise invalid_request(f"Unknown refund failure_reason: {failure_reason}", param="failure_reason")
    previous = {"status": refund["status"]}
    if succeeded:
        refund["status"] = "succeeded"
    else:
        charge = ledger.get("charge", refund["charge"])
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        refund.update(status="failed", failure_reason=failure_reason, failure_balance_transaction=ledger.new_id("txn"))
        previous["failure_reason"] = None
    ledger.record_event("refund.updated", refund, previous)
    ledger.record_event("charge.refund.updated", refund, previous)
    if not succeeded:
        ledger.record_event("refund.failed", refund, previous)
    return refund
