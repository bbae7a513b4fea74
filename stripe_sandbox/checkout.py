"""Checkout Sessions (``mode=payment`` with ``price_data`` line items): create, expire, pay, async settlement.

Rules kept from Stripe because our code must live with them in production: ``expires_at`` between 30 minutes
and 24 hours after creation, a total of at least 50 cents, no PaymentIntent before the buyer pays, and for
Connect an ``application_fee_amount`` only with a ``transfer_data[destination]`` that may receive transfers.
"""

from __future__ import annotations

import copy
from typing import Any

from stripe_sandbox import money
from stripe_sandbox.errors import invalid_request
from stripe_sandbox.forms import Params, as_dict, as_list, get_int, get_str
from stripe_sandbox.ledger import JSON, Ledger

__all__ = ["SESSION_PARAMS", "complete", "create_session", "expire", "settle_async", "sweep_expired"]

SESSION_PARAMS = frozenset(
    {
        "mode", "line_items", "client_reference_id", "metadata", "expires_at", "success_url", "cancel_url",
        "payment_intent_data", "customer_email", "payment_method_types", "locale", "submit_type", "expand",
    }
)  # fmt: skip
_MIN_EXPIRY, _MAX_EXPIRY = 30 * 60, 24 * 60 * 60
_MIN_TOTAL = 50


def _line_item(item: Any, index: int) -> JSON:
    param = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise invalid_request(f"Invalid hash: {param}", param=param)
    if "price" in item:
        raise invalid_request("The local Stripe server supports only price_data line items.", param=f"{param}[price]")
    price_data = as_dict(item, "price_data")
    if not price_data:
        raise invalid_request("You must specify either `price` or `price_data`.", param=param)
    currency = get_str(price_data, "currency", required=True)
    unit_amount = get_int(price_data, "unit_amount", required=True)
    name = get_str(as_dict(price_data, "product_data"), "name", required=True)
    quantity = get_int(item, "quantity", required=True)
    assert currency is not None
    assert unit_amount is not None
    assert quantity is not None
    if unit_amount < 0 or quantity < 1:
        raise invalid_request("unit_amount must be >= 0 and quantity >= 1.", param=param)
    return {"currency": currency.lower(), "unit_amount": unit_amount, "quantity": quantity, "description": name}


def _expiry(params: Params, now: int) -> int:
    expires_at = get_int(params, "expires_at", default=now + _MAX_EXPIRY)
    assert expires_at is not None
    if expires_at - now < _MIN_EXPIRY:
        raise invalid_request(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            param="expires_at",
        )
    if expires_at - now > _MAX_EXPIRY:
        raise invalid_request(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return expires_at


def _intent_data(ledger: Ledger, params: Params, amount: int) -> JSON:
    data = as_dict(params, "payment_intent_data")
    fee = get_int(data, "application_fee_amount")
    destination = get_str(as_dict(data, "transfer_data"), "destination")
    if fee is not None and destination is None:
        raise invalid_request(
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
            "(using an OAuth key or Stripe-Account header) or destination payment "
            "(using `transfer_data[destination]`).",
            param="payment_intent_data[application_fee_amount]",
        )
    if fee is not None and not 0 <= fee <= amount:
        raise invalid_request(
            "application_fee_amount must be between 0 and the amount.",
            param="payment_intent_data[application_fee_amount]",
        )
    if destination is not None:
        account = ledger.get("account", destination, param="payment_intent_data[transfer_data][destination]")
        if account["capabilities"].get("transfers") != "active":
            raise invalid_request(
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                param="payment_intent_data[transfer_data][destination]",
                code="insufficient_capabilities_for_transfer",
            )
    return {
        "application_fee_amount": fee,
        "transfer_data": {"destination": destination} if destination else None,
        "metadata": {str(k): str(v) for k, v in as_dict(data, "metadata").items()},
        "description": get_str(data, "description"),
    }


def create_session(ledger: Ledger, params: Params, base_url: str) -> JSON:
    unknown = sorted(set(params) - SESSION_PARAMS)
    if unknown:
        raise invalid_request(f"Received unknown parameter: {unknown[0]}", param=unknown[0])
    mode = get_str(params, "mode", required=True)
    if mode != "payment":
        raise invalid_request("The local Stripe server supports only mode=payment.", param="mode")
    items = [_line_item(item, i) for i, item in enumerate(as_list(params, "line_items"))]
    if not items:
        raise invalid_request("line_items is required in payment mode.", param="line_items")
    if len({item["currency"] for item in items}) > 1:
        raise invalid_request("All line items must use the same currency.", param="line_items")
    amount = sum(item["unit_amount"] * item["quantity"] for item in items)
    currency = items[0]["currency"]
    if amount < _MIN_TOTAL:
        raise invalid_request(
            f"The Checkout Session's total amount due must add up to at least 0.50 {currency}.",
            code="amount_too_small",
        )
    now = ledger.clock()
    expires_at = _expiry(params, now)
    intent_data = _intent_data(ledger, params, amount)
    session_id = ledger.new_id("cs_test")
    session: JSON = {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "cancel_url": get_str(params, "cancel_url"),
        "client_reference_id": get_str(params, "client_reference_id"),
        "created": now,
        "currency": currency,
        "customer": None,
        "customer_details": None,
        "customer_email": get_str(params, "customer_email"),
        "expires_at": expires_at,
        "livemode": False,
        "metadata": {str(k): str(v) for k, v in as_dict(params, "metadata").items()},
        "mode": "payment",
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "success_url": get_str(params, "success_url"),
        "ui_mode": "hosted",
        "url": f"{base_url}/c/pay/{session_id}",
    }
    ledger.add(session)
    ledger.extras[session_id].update(line_items=items, intent_data=intent_data)
    return session


def _require_open(session: JSON, action: str) -> None:
    if session["status"] != "open":
        raise invalid_request(
            f'Only Checkout Sessions with a status in ["open"] can be {action}. '
            f"This Checkout Session has a status of {session['status']}.",
            code="checkout_session_not_open" if action == "paid" else None,
        )


def expire(ledger: Ledger, session_id: str) -> JSON:
    session = ledger.get("checkout.session", session_id, param="session")
    _require_open(session, "expired")
    session.update(status="expired", url=None)
    ledger.record_event("checkout.session.expired", session, {"status": "open"})
    return session


def sweep_expired(ledger: Ledger) -> list[str]:
    """Expire every open session whose ``expires_at`` has passed (Stripe does it in the background)."""
    now = ledger.clock()
    due = [s["id"] for s in ledger.all("checkout.session") if s["status"] == "open" and s["expires_at"] <= now]
    for session_id in due:
        expire(ledger, session_id)
    return due


def complete(ledger: Ledger, session_id: str, *, delayed: bool = False, email: str = "buyer@example.com") -> JSON:
    """The buyer pays. ``delayed``: an async method (bank debit), settled later by :func:`settle_async`."""
    session = ledger.get("checkout.session", session_id, param="session")
    _require_open(session, "paid")
    intent = money.create_payment_intent(ledger, session, ledger.extras[session_id]["intent_data"])
    if not delayed:
        money.succeed(ledger, intent)
    session.update(
        status="complete",
        url=None,
        payment_intent=intent["id"],
        payment_status="unpaid" if delayed else "paid",
        customer_details={"email": session["customer_email"] or email, "name": None},
    )
    ledger.record_event("checkout.session.completed", session)
    return session


def settle_async(ledger: Ledger, session_id: str, *, succeeded: bool) -> JSON:
    session = ledger.get("checkout.session", session_id, param="session")
    intent = ledger.get("payment_intent", session["payment_intent"] or "", param="payment_intent")
    if session["status"] != "complete" or intent["status"] != "processing":
        raise invalid_request(f"Checkout Session {session_id} has no payment awaiting settlement.")
    if succeeded:
        money.succeed(ledger, intent)
        session["payment_status"] = "paid"
        ledger.record_event("checkout.session.async_payment_succeeded", session, {"payment_status": "unpaid"})
    else:
        money.fail(ledger, intent)
        ledger.record_event("checkout.session.async_payment_failed", session)
    return copy.deepcopy(session)
