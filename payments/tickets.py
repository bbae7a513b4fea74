"""The core's `TicketPayments` port over `StripeGateway`, and Stripe events turned into the core's `PaymentEvent`.

Idempotency keys come from our own records: ``checkout-<order id>``, ``Order.refund_key`` (``refund-<order id>``,
then ``-2``... after a failed refund), ``connect-host-<host id>``; every Checkout parameter comes from the stored
order (amount, currency, expiry, fee, destination), so a retry after a crash or a timeout is the same request
and Stripe answers it with the same object.
"""

from __future__ import annotations

import logging
from datetime import datetime

from payments.errors import AlreadyRefunded, MalformedWebhook, PaymentsError, PaymentsMisconfigured
from payments.models import CheckoutSession, ConnectAccount, Refund, StripeEvent
from payments.stripe_gateway import StripeGateway
from spaces_core.domain.errors import PaymentUnavailable
from spaces_core.domain.payment_events import (
    HANDLED_EVENTS,
    AccountState,
    CheckoutState,
    EventType,
    OpenCheckout,
    PaymentEvent,
    RefundResult,
    RefundState,
    refund_status,
)
from spaces_core.domain.tickets import Order

__all__ = ["StripeTicketPayments", "checkout_state", "refund_state", "to_payment_event"]

log = logging.getLogger("payments.tickets")

_UNAVAILABLE = "Payments are unavailable right now: nothing was charged. Please try again in a few minutes."
_MISCONFIGURED = "Payments aren't set up correctly on this server: nothing was charged. Please tell an admin."


def _unavailable(error: PaymentsError) -> PaymentUnavailable:
    log.warning("Stripe request failed: %s", error)
    return PaymentUnavailable(_MISCONFIGURED if isinstance(error, PaymentsMisconfigured) else _UNAVAILABLE)


def checkout_state(session: CheckoutSession) -> CheckoutState:
    return CheckoutState(
        session_id=session.id,
        status=session.status,
        payment_status=session.payment_status,
        amount_cents=session.amount_total,
        currency=session.currency.lower(),
        order_id=session.client_reference_id,
        metadata_order_id=session.metadata.get("order_id"),
        payment_intent=session.payment_intent,
        expires_at=session.expires_at,
        url=session.url,
    )


_REFUND_EVENTS = frozenset(
    {EventType.REFUND_CREATED, EventType.REFUND_UPDATED, EventType.REFUND_FAILED, EventType.CHARGE_REFUND_UPDATED}
)


def refund_state(refund: Refund) -> RefundState:
    return RefundState(
        refund_id=refund.id,
        status=refund_status(refund.status),
        order_id=refund.metadata.get("order_id"),
        payment_intent=refund.payment_intent,
        amount_cents=refund.amount,
        currency=refund.currency.lower(),
        failure_reason=refund.failure_reason,
    )


def _result(refund: Refund) -> RefundResult:
    return RefundResult(refund.id, refund_status(refund.status), refund.failure_reason)


def to_payment_event(event: StripeEvent) -> PaymentEvent:
    """The core's view of a (verified) Stripe event; types we don't handle carry no payload."""
    try:
        if event.type.startswith("checkout.session."):
            return PaymentEvent(event.id, event.type, event.created, checkout=checkout_state(event.checkout_session()))
        if event.type in _REFUND_EVENTS:  # each carries the Refund itself
            refund = refund_state(Refund.from_json(event.object))
            return PaymentEvent(event.id, event.type, event.created, refund=refund)
        if event.type == "account.updated":
            account = ConnectAccount.from_json(event.object)
            return PaymentEvent(event.id, event.type, event.created, account=AccountState(account.id, account.ready))
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedWebhook(f"event {event.id} ({event.type}) lacks what we read: {error!r}") from error
    return PaymentEvent(event.id, event.type, event.created)


class StripeTicketPayments:
    def __init__(
        self,
        gateway: StripeGateway,
        *,
        success_url: str,
        cancel_url: str,
        onboarding_return_url: str,
        onboarding_refresh_url: str,
        country: str = "US",
    ) -> None:
        self._gateway = gateway
        self._success_url = success_url
        self._cancel_url = cancel_url
        self._return_url = onboarding_return_url
        self._refresh_url = onboarding_refresh_url
        self._country = country

    async def open_checkout(self, order: Order, *, title: str) -> OpenCheckout:
        try:
            link = await self._gateway.create_checkout(
                order_id=order.id,
                amount_cents=order.amount_cents,
                currency=order.currency,
                title=f"Ticket: {title}",
                success_url=self._success_url,
                cancel_url=self._cancel_url,
                idempotency_key=f"checkout-{order.id}",
                expires_at=order.expires_at,
                destination=order.destination,
                fee_cents=order.fee_cents,
                metadata={"schedule_id": order.schedule_id, "member_id": str(order.user_id)},
            )
        except PaymentsError as error:
            raise _unavailable(error) from error
        return OpenCheckout(link.session_id, link.url)

    async def expire_checkout(self, session_id: str) -> CheckoutState:
        try:
            return checkout_state(await self._gateway.expire_checkout(session_id))
        except PaymentsError as error:
            raise _unavailable(error) from error

    async def refund(self, order: Order) -> RefundResult:
        if order.payment_intent is None:
            raise PaymentUnavailable(f"Order {order.id} has no payment to refund.")
        try:
            if order.refund_id is not None:  # asked before: how it stands now (a replayed key would say "pending")
                return _result(await self._gateway.retrieve_refund(order.refund_id))
            refund = await self._gateway.refund(
                order.payment_intent,
                idempotency_key=order.refund_key,
                reverse_transfer=order.destination is not None,
                metadata={"order_id": order.id},
            )
        except AlreadyRefunded:
            return await self._earlier_refund(order.payment_intent)
        except PaymentsError as error:
            raise _unavailable(error) from error
        return _result(refund)

    async def _earlier_refund(self, payment_intent: str) -> RefundResult:
        """Nothing left to refund: a refund made before (the dashboard, or ours whose answer was lost) holds the
        money. Its status is the answer: still pending, it is not done yet."""
        try:
            refunds = await self._gateway.refunds_of(payment_intent)
        except PaymentsError as error:
            raise _unavailable(error) from error
        live = [r for r in refunds if not refund_status(r.status).failed]
        if not live:
            raise PaymentUnavailable(f"Stripe refuses to refund payment {payment_intent} and shows no refund of it.")
        return _result(live[0])

    async def recent_checkouts(self, since: datetime) -> list[CheckoutState]:
        try:
            return [checkout_state(s) for s in await self._gateway.list_checkouts(since)]
        except PaymentsError as error:
            raise _unavailable(error) from error

    async def recent_events(self, since: datetime) -> list[PaymentEvent]:
        try:
            events = await self._gateway.list_events(since, types=HANDLED_EVENTS)
        except PaymentsError as error:
            raise _unavailable(error) from error
        converted = []
        for event in events:
            try:
                converted.append(to_payment_event(event))
            except MalformedWebhook as error:
                log.warning("skipped during reconciliation: %s", error)
        return converted

    async def create_payout_account(self, host_id: int) -> str:
        try:
            return await self._gateway.create_connect_account(
                idempotency_key=f"connect-host-{host_id}", country=self._country, host_ref=str(host_id)
            )
        except PaymentsError as error:
            raise _unavailable(error) from error

    async def payout_onboarding_link(self, account_id: str) -> str:
        try:
            return await self._gateway.onboarding_link(
                account_id, refresh_url=self._refresh_url, return_url=self._return_url
            )
        except PaymentsError as error:
            raise _unavailable(error) from error

    async def payout_account_ready(self, account_id: str) -> bool:
        try:
            return (await self._gateway.retrieve_account(account_id)).ready
        except PaymentsError as error:
            raise _unavailable(error) from error
