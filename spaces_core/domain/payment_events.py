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
    "ChargeState",
    "CheckoutState",
    "EventOutcome",
    "EventType",
    "OpenCheckout",
    "PaymentEvent",
    "RefundResult",
]


class EventType(StrEnum):
    CHECKOUT_COMPLETED = "checkout.session.completed"
    ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
    ASYNC_FAILED = "checkout.session.async_payment_failed"
    CHECKOUT_EXPIRED = "checkout.session.expired"
    CHARGE_REFUNDED = "charge.refunded"
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


@dataclass(frozen=True, slots=True)
class ChargeState:
    """A charge (from `charge.refunded`): the order it paid for is in the metadata we put on its PaymentIntent."""

    charge_id: str
    order_id: str | None
    payment_intent: str | None
    amount_cents: int
    amount_refunded_cents: int
    currency: str

    @property
    def fully_refunded(self) -> bool:
        return self.amount_cents > 0 and self.amount_refunded_cents >= self.amount_cents

    def mismatch(self, order: Order) -> str | None:
        if self.order_id != order.id:
            return f"charge for order {self.order_id!r}, not {order.id!r}"
        if order.payment_intent is not None and self.payment_intent != order.payment_intent:
            return f"payment {self.payment_intent} is not the order's {order.payment_intent}"
        if (self.amount_cents, self.currency.lower()) != (order.amount_cents, order.currency):
            return f"{self.amount_cents} {self.currency} is not the order's {order.amount_cents} {order.currency}"
        return None


@dataclass(frozen=True, slots=True)
class AccountState:
    account_id: str
    ready: bool  # destination charges to it will be accepted


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """One provider event. Exactly one of `checkout`, `charge`, `account` is set for the types we handle."""

    id: str
    type: str
    created: datetime
    checkout: CheckoutState | None = None
    charge: ChargeState | None = None
    account: AccountState | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    refund_id: str | None
    settled: bool  # Stripe accepted it (succeeded or pending on its side): our refund is done
