"""What the payment provider tells us, as plain values (built by `payments.tickets`, read by the ticket service).

Nothing here is trusted: `matches` compares what Stripe says (order id, session, amount, currency) with our own
order before any effect, and a mismatch changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from spaces_core.domain.tickets import Order

__all__ = [
    "HANDLED_EVENTS",
    "AccountState",
    "CheckoutState",
    "EventOutcome",
    "EventType",
    "OpenCheckout",
    "PaymentEvent",
    "RefundResult",
    "RefundState",
    "RefundStatus",
    "refund_status",
]


class EventType(StrEnum):
    CHECKOUT_COMPLETED = "checkout.session.completed"
    ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
    ASYNC_FAILED = "checkout.session.async_payment_failed"
    CHECKOUT_EXPIRED = "checkout.session.expired"
    # A Refund's life (its status in each): created, then updated (pending → succeeded, or → failed, which also
    # sends refund.failed); charge.refund.updated is the older name of the updates. Not `charge.refunded`: Stripe
    # sends it when a refund is *created*, pending or not, so it can't tell a refund that went through.
    REFUND_CREATED = "refund.created"
    REFUND_UPDATED = "refund.updated"
    REFUND_FAILED = "refund.failed"
    CHARGE_REFUND_UPDATED = "charge.refund.updated"
    ACCOUNT_UPDATED = "account.updated"


HANDLED_EVENTS: tuple[str, ...] = tuple(t.value for t in EventType)


class EventOutcome(StrEnum):
    APPLIED = "applied"  # something changed
    UNCHANGED = "unchanged"  # ours and consistent, but the order was already past it (a late or repeated fact)
    DUPLICATE = "duplicate"  # this event id was applied before: nothing done
    IGNORED = "ignored"  # not about one of our orders (another product on the same Stripe account)
    MISMATCH = "mismatch"  # names one of our orders but disagrees with it: logged, nothing done


@dataclass(frozen=True, slots=True)
class OpenCheckout:
    """A Checkout Session just created for an order: where the member pays."""

    session_id: str
    url: str


@dataclass(frozen=True, slots=True)
class CheckoutState:
    """A Checkout Session as Stripe reports it."""

    session_id: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_cents: int
    currency: str
    order_id: str | None  # client_reference_id
    metadata_order_id: str | None
    payment_intent: str | None
    expires_at: datetime | None = None
    url: str | None = None  # while open

    @property
    def paid(self) -> bool:
        return self.status == "complete" and self.payment_status == "paid"

    def mismatch(self, order: Order) -> str | None:
        """Why this session can't be the one of `order` (None when everything agrees)."""
        if self.order_id != order.id or self.metadata_order_id not in (None, order.id):
            return f"order ids {self.order_id!r}/{self.metadata_order_id!r} are not {order.id!r}"
        if order.checkout_session_id is not None and self.session_id != order.checkout_session_id:
            return f"session {self.session_id} is not the order's {order.checkout_session_id}"
        if (self.amount_cents, self.currency.lower()) != (order.amount_cents, order.currency):
            return f"{self.amount_cents} {self.currency} is not the order's {order.amount_cents} {order.currency}"
        return None


class RefundStatus(StrEnum):
    """A Stripe Refund's `status` (API reference, "The Refund object")."""

    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def final(self) -> bool:
        return self in (RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.CANCELED)

    @property
    def failed(self) -> bool:
        return self in (RefundStatus.FAILED, RefundStatus.CANCELED)


def refund_status(value: str) -> RefundStatus:
    """Stripe may add statuses: an unknown one is treated as still under way (never as money returned)."""
    try:
        return RefundStatus(value)
    except ValueError:
        return RefundStatus.PENDING


@dataclass(frozen=True, slots=True)
class RefundState:
    """A Refund (from `refund.*` / `charge.refund.updated`). Ours carry `metadata.order_id`; one made on Stripe's
    dashboard carries no metadata of ours and is matched by its PaymentIntent."""

    refund_id: str
    status: RefundStatus
    order_id: str | None  # metadata.order_id
    payment_intent: str | None
    amount_cents: int
    currency: str
    failure_reason: str | None = None

    def mismatch(self, order: Order) -> str | None:
        if self.order_id is not None and self.order_id != order.id:
            return f"refund for order {self.order_id!r}, not {order.id!r}"
        if order.payment_intent is not None and self.payment_intent != order.payment_intent:
            return f"payment {self.payment_intent} is not the order's {order.payment_intent}"
        if self.currency.lower() != order.currency:
            return f"a refund in {self.currency}, the order is in {order.currency}"
        return None

    def whole(self, order: Order) -> bool:
        """We never refund part of a ticket; a partial refund made on the dashboard leaves the ticket alone."""
        return self.amount_cents >= order.amount_cents


@dataclass(frozen=True, slots=True)
class AccountState:
    account_id: str
    ready: bool  # destination charges to it will be accepted


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """One provider event. Exactly one of `checkout`, `refund`, `account` is set for the types we handle."""

    id: str
    type: str
    created: datetime
    checkout: CheckoutState | None = None
    refund: RefundState | None = None
    account: AccountState | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    """Stripe's answer to our refund request: only `succeeded` is money returned; `pending` (and
    `requires_action`) wait for a `refund.updated`; `failed` / `canceled` mean the member still has their money
    with us (`failure_reason`, Stripe's word for why)."""

    refund_id: str | None
    status: RefundStatus
    failure_reason: str | None = None
