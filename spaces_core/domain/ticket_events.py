"""Ticket events: what happened to a scheduled Space's tickets, for the bot to act on (the holder's role, DMs,
the seats left on its cards).

The ticket services record them inside a transaction and publish them on the message bus once it has committed,
with the `ScheduledSpace` read in that transaction as the aggregate (so telling a member costs no second read).
An order event carries the `Order` as saved: the DMs read its state, amounts, refund reason and links.
"""

from __future__ import annotations

from dataclasses import dataclass

from spaces_core.domain.tickets import Order

__all__ = [
    "CheckoutExpired",
    "KeepOrRefundAsked",
    "OfferChanged",
    "OrderEvent",
    "PaymentFailed",
    "RefundFailed",
    "TicketEvent",
    "TicketGranted",
    "TicketRefunded",
    "WaitlistOffered",
]


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """What every ticket event is (the aggregate published with it is its `ScheduledSpace`)."""


@dataclass(frozen=True, slots=True)
class OfferChanged(TicketEvent):
    """The Space's terms or seats moved (a price or cap set, a seat held for a Checkout): its cards are redrawn.
    Order events that free or take a seat say so themselves (`OrderEvent.seats_moved`)."""

    schedule_id: str


@dataclass(frozen=True, slots=True)
class OrderEvent(TicketEvent):
    order: Order

    # Whether "seats left" (or who holds a ticket) may have moved: the cards are redrawn after it.
    seats_moved = True

    @property
    def schedule_id(self) -> str:
        return self.order.schedule_id


@dataclass(frozen=True, slots=True)
class TicketGranted(OrderEvent):
    """The member paid and holds a ticket (the receipt, the role)."""


@dataclass(frozen=True, slots=True)
class TicketRefunded(OrderEvent):
    """The refund went through (`order.refund_reason` says why); the ticket is gone."""


@dataclass(frozen=True, slots=True)
class WaitlistOffered(OrderEvent):
    """A seat was released for a waiting member: pay at `order.checkout_url` before `order.expires_at`."""


@dataclass(frozen=True, slots=True)
class CheckoutExpired(OrderEvent):
    """The member's Checkout ran out unpaid: the seat they held is free again."""


@dataclass(frozen=True, slots=True)
class PaymentFailed(OrderEvent):
    """A delayed payment (a bank debit) failed: no ticket, the seat is free again."""


@dataclass(frozen=True, slots=True)
class KeepOrRefundAsked(OrderEvent):
    """The Space moved: the holder is asked Keep (the default) or Refund. Seats do not move."""

    seats_moved = False


@dataclass(frozen=True, slots=True)
class RefundFailed(OrderEvent):
    """Stripe could not refund this member (`order.refund_failure` says why): they keep their ticket, the money
    stays with the host, who is told so to refund them another way."""
