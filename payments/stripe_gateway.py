"""Stripe over the official SDK: Checkout Sessions, refunds, events and Connect, all async.

``stripe.StripeClient`` with the SDK's ``AIOHTTPClient`` and its ``*_async`` methods: nothing blocks the event
loop (that client has no synchronous path at all, so a forgotten ``await`` fails loudly instead of blocking).
``api_base`` points the same code at the local test server (``stripe_sandbox``) or, left out, at api.stripe.com.

Idempotency is the caller's: every POST takes a key derived from our own records (order id, ticket id), and a
retry must send the same parameters, hence ``expires_at`` is best passed from the order rather than recomputed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Literal

import stripe
from stripe.params import AccountCreateParams, EventListParams, RefundCreateParams
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsPaymentIntentData, SessionListParams

from payments.errors import (
    AlreadyRefunded,
    IdempotencyConflict,
    PaymentRejected,
    PaymentsError,
    PaymentsMisconfigured,
    PaymentsUnavailable,
    StripeObjectMissing,
)
from payments.models import CheckoutLink, CheckoutSession, ConnectAccount, Refund, StripeEvent
from spaces_core.clock import SystemClock
from spaces_core.ports import Clock

__all__ = ["MAX_CHECKOUT_LIFETIME", "MIN_CHECKOUT_LIFETIME", "StripeGateway"]

RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]

MIN_CHECKOUT_LIFETIME = timedelta(minutes=30)  # Stripe refuses a shorter expires_at
MAX_CHECKOUT_LIFETIME = timedelta(hours=24)
# expires_at is measured from when Stripe receives the request: a little slack keeps "30 minutes" valid.
_EXPIRY_SLACK = timedelta(seconds=30)


class StripeGateway:
    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        timeout: float = 20.0,
        max_network_retries: int = 2,
        clock: Clock | None = None,
    ) -> None:
        self._http = stripe.AIOHTTPClient(timeout=timeout)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            max_network_retries=max_network_retries,
        )
        self._clock = clock or SystemClock()

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    # --- Checkout ------------------------------------------------------------------------------------------

    async def create_checkout(
        self,
        *,
        order_id: str,
        amount_cents: int,
        currency: str,
        title: str,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        expires_at: datetime | None = None,
        expires_in: timedelta = MIN_CHECKOUT_LIFETIME,
        destination: str | None = None,
        fee_cents: int = 0,
        metadata: Mapping[str, str] | None = None,
    ) -> CheckoutLink:
        """One Checkout Session for one order (``client_reference_id`` and ``metadata["order_id"]``).

        ``destination``: a host's Connect account, paid by a destination charge less ``fee_cents``. The order id
        also goes on the PaymentIntent (and so on its Charge), so refund events can be matched to the order.
        """
        if amount_cents <= 0:
            raise ValueError("amount_cents must be positive")
        if fee_cents and destination is None:
            raise ValueError("an application fee needs a destination account")
        if not 0 <= fee_cents <= amount_cents:
            raise ValueError("fee_cents must be between 0 and amount_cents")
        tags = {**(metadata or {}), "order_id": order_id}
        intent: SessionCreateParamsPaymentIntentData = {"metadata": tags}
        if destination is not None:
            intent["transfer_data"] = {"destination": destination}
            intent["application_fee_amount"] = fee_cents
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": currency, "unit_amount": amount_cents, "product_data": {"name": title}},
                }
            ],
            "client_reference_id": order_id,
            "metadata": tags,
            "expires_at": int((expires_at or self._deadline(expires_in)).timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "payment_intent_data": intent,
        }
        async with _translated():
            session = await self._client.v1.checkout.sessions.create_async(params, {"idempotency_key": idempotency_key})
        if session.url is None:
            raise PaymentsError(f"Stripe returned Checkout Session {session.id} without a URL")
        return CheckoutLink(session.id, session.url)

    def _deadline(self, expires_in: timedelta) -> datetime:
        if not MIN_CHECKOUT_LIFETIME <= expires_in <= MAX_CHECKOUT_LIFETIME:
            raise ValueError("a Checkout Session lives between 30 minutes and 24 hours")
        return self._clock.now() + min(expires_in + _EXPIRY_SLACK, MAX_CHECKOUT_LIFETIME)

    async def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        async with _translated():
            session = await self._client.v1.checkout.sessions.retrieve_async(session_id)
        return CheckoutSession.from_json(session.to_dict())

    async def expire_checkout(self, session_id: str) -> CheckoutSession:
        """Expire the session if it is still open; either way, return its final state (it may have been paid)."""
        try:
            async with _translated():
                session = await self._client.v1.checkout.sessions.expire_async(session_id)
        except PaymentRejected as error:
            if isinstance(error, StripeObjectMissing):
                raise
            current = await self.retrieve_checkout(session_id)
            if current.status == "open":
                raise
            return current
        return CheckoutSession.from_json(session.to_dict())

    async def list_checkouts(self, created_since: datetime) -> list[CheckoutSession]:
        """Every session created since then, newest first (for reconciliation)."""
        params: SessionListParams = {"created": {"gte": int(created_since.timestamp())}, "limit": 100}
        async with _translated():
            page = await self._client.v1.checkout.sessions.list_async(params)
            return [CheckoutSession.from_json(s.to_dict()) async for s in page.auto_paging_iter()]

    # --- Refunds and events ------------------------------------------------------------------------------

    async def refund(
        self,
        payment_intent: str,
        *,
        idempotency_key: str,
        amount_cents: int | None = None,
        reason: RefundReason = "requested_by_customer",
        reverse_transfer: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> Refund:
        """Refund a payment (all of it by default). ``reverse_transfer``: take a destination charge back from
        the connected account (and our fee back to the buyer), instead of paying the refund from the platform."""
        params: RefundCreateParams = {"payment_intent": payment_intent, "reason": reason}
        if amount_cents is not None:
            params["amount"] = amount_cents
        if reverse_transfer:
            params["reverse_transfer"] = True
            params["refund_application_fee"] = True
        if metadata:
            params["metadata"] = dict(metadata)
        async with _translated():
            refund = await self._client.v1.refunds.create_async(params, {"idempotency_key": idempotency_key})
        return Refund.from_json(refund.to_dict())

    async def retrieve_refund(self, refund_id: str) -> Refund:
        async with _translated():
            refund = await self._client.v1.refunds.retrieve_async(refund_id)
        return Refund.from_json(refund.to_dict())

    async def refunds_of(self, payment_intent: str) -> list[Refund]:
        """The payment's refunds, newest first (ours and any made on the dashboard)."""
        async with _translated():
            page = await self._client.v1.refunds.list_async({"payment_intent": payment_intent, "limit": 100})
        return [Refund.from_json(r.to_dict()) for r in page.data]

    async def list_events(self, since: datetime, types: Sequence[str] = ()) -> list[StripeEvent]:
        """Events created since then, oldest first (the order to apply them in); ``types`` may use ``.*``."""
        params: EventListParams = {"created": {"gte": int(since.timestamp())}, "limit": 100}
        if len(types) == 1:
            params["type"] = types[0]
        elif types:
            params["types"] = list(types)
        async with _translated():
            page = await self._client.v1.events.list_async(params)
            events = [StripeEvent.from_json(e.to_dict()) async for e in page.auto_paging_iter()]
        return events[::-1]

    # --- Connect ----------------------------------------------------------------------------------------------

    async def create_connect_account(
        self, *, idempotency_key: str, email: str | None = None, country: str = "US", host_ref: str | None = None
    ) -> str:
        """An Express account for a host; ``host_ref`` (our host id) is kept in its metadata."""
        params: AccountCreateParams = {
            "type": "express",
            "country": country,
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
        if email:
            params["email"] = email
        if host_ref:
            params["metadata"] = {"host": host_ref}
        async with _translated():
            account = await self._client.v1.accounts.create_async(params, {"idempotency_key": idempotency_key})
        return account.id

    async def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """A single-use link to Stripe's onboarding for that account (it expires within minutes: make it on demand)."""
        async with _translated():
            link = await self._client.v1.account_links.create_async(
                {
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        return link.url

    async def retrieve_account(self, account_id: str) -> ConnectAccount:
        async with _translated():
            account = await self._client.v1.accounts.retrieve_async(account_id)
        return ConnectAccount.from_json(account.to_dict())


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    """Stripe's exceptions as ours (see ``payments.errors``)."""
    try:
        yield
    except stripe.IdempotencyError as error:
        raise IdempotencyConflict(error.user_message or str(error), code=error.code) from error
    except stripe.InvalidRequestError as error:
        message = error.user_message or str(error)
        if error.code == "charge_already_refunded":
            raise AlreadyRefunded(message, code=error.code, param=error.param) from error
        if error.code == "resource_missing":
            raise StripeObjectMissing(message, code=error.code, param=error.param) from error
        raise PaymentRejected(message, code=error.code, param=error.param) from error
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        raise PaymentsMisconfigured(f"Stripe refused the secret key: {error.user_message or error}") from error
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        raise PaymentsUnavailable(f"Stripe is unavailable: {error.user_message or error}") from error
    except stripe.StripeError as error:
        raise PaymentsError(f"Stripe error: {error.user_message or error}") from error
