"""Ticketed Spaces: the offer (price, seats), orders and their states, and what a purchase can answer.

Money is integer minor units (cents). An order holds a seat from the moment it is created (`pending`) until it
ends without a ticket (`expired`, `failed`) or its refund is confirmed (`refunded`); the store takes and
releases seats in the same transactions as these transitions, so the rules here decide *which* transitions
exist and the store makes each one conditional (`WHERE state IN sources(target)`): an event that finds an order
in another state changes nothing, which is what makes duplicates and any order of arrival harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, SpaceNotLive
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState

__all__ = [
    "CHECKOUT_LIFETIME",
    "CURRENCIES",
    "DEFAULT_CURRENCY",
    "HOLDS_SEAT",
    "MAX_FEE_BPS",
    "MAX_PRICE",
    "MIN_PRICE",
    "RELEASES_SEAT",
    "ActionKind",
    "AlreadyHolder",
    "Checkout",
    "HolderChoice",
    "Order",
    "OrderState",
    "PayoutAccount",
    "Purchase",
    "RefundReason",
    "TicketAction",
    "TicketOffer",
    "WaitlistEntry",
    "Waitlisted",
    "application_fee",
    "check_currency",
    "check_fee_bps",
    "check_on_sale",
    "check_quantity",
    "format_money",
    "price_cents",
    "require_ticket_manager",
    "sources",
]

MIN_PRICE, MAX_PRICE = 1, 999
DEFAULT_CURRENCY = "usd"
# Currencies with two decimals only: "price × 100" is the amount in minor units for each of them (not for JPY).
CURRENCIES = frozenset({"usd", "eur", "gbp", "cad", "aud", "nzd", "chf", "sek", "nok", "dkk", "pln", "sgd", "hkd"})
MAX_FEE_BPS = 5000  # a server keeps at most half of a ticket: beyond that it is no longer the host's sale
# Stripe refuses a Checkout that expires less than 30 minutes after *it* receives the request; one more minute
# absorbs the network and a clock that runs a little behind Stripe's. The seat is held exactly that long.
CHECKOUT_LIFETIME = timedelta(minutes=31)


class OrderState(StrEnum):
    PENDING = "pending"  # Checkout open: holds a seat
    PROCESSING = "processing"  # Checkout completed, an async payment still settling: holds a seat
    PAID = "paid"  # a ticket
    EXPIRED = "expired"  # the Checkout expired unpaid: seat released
    FAILED = "failed"  # the payment failed (or Stripe was unreachable): seat released
    # A refund was decided and Stripe has not said it succeeded (not asked yet, or `pending` there): still holds
    # its seat. If Stripe says it failed, the order goes back to paid (see TicketCore.refund_failed).
    REFUND_DUE = "refund_due"
    REFUNDED = "refunded"  # seat released


HOLDS_SEAT = frozenset({OrderState.PENDING, OrderState.PROCESSING, OrderState.PAID, OrderState.REFUND_DUE})
# Moving to one of these gives the order's seat back (if it still holds one: see Order.seat).
RELEASES_SEAT = frozenset({OrderState.EXPIRED, OrderState.FAILED, OrderState.REFUNDED})

# target state ← the states it may be reached from. Paid is reachable only from pending/processing: that is the
# one way a ticket is granted. A payment that succeeds for a Space that was cancelled meanwhile, or for an order
# that had already given its seat back (Stripe answered after we gave up on it), goes to refund_due instead: the
# money is returned and no ticket exists.
_SOURCES: Mapping[OrderState, frozenset[OrderState]] = MappingProxyType(
    {
        OrderState.PROCESSING: frozenset({OrderState.PENDING}),
        OrderState.PAID: frozenset({OrderState.PENDING, OrderState.PROCESSING}),
        OrderState.EXPIRED: frozenset({OrderState.PENDING}),
        OrderState.FAILED: frozenset({OrderState.PENDING, OrderState.PROCESSING}),
        OrderState.REFUND_DUE: frozenset(
            {OrderState.PAID, OrderState.PENDING, OrderState.PROCESSING, OrderState.EXPIRED, OrderState.FAILED}
        ),
        OrderState.REFUNDED: frozenset({OrderState.PAID, OrderState.REFUND_DUE}),
    }
)


def sources(target: OrderState) -> frozenset[OrderState]:
    """The states an order may move to `target` from (empty for `pending`: orders are born pending)."""
    return _SOURCES.get(target, frozenset())


class RefundReason(StrEnum):
    CANCELLED = "cancelled"  # the host cancelled the Space
    MISSED = "missed"  # the host never started it
    HOST = "host"  # the host (or an admin) refunded this member
    HOLDER = "holder"  # the holder chose Refund after a reschedule
    LATE = "late"  # paid after the Space was cancelled or had ended
    STRIPE = "stripe"  # refunded on Stripe directly (the dashboard); we only learn it from its refund.* events


class HolderChoice(StrEnum):
    ASK = "ask"  # the Space was rescheduled: Keep or Refund? (no answer keeps the ticket)
    KEEP = "keep"


def format_money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency.upper()}"


def check_currency(currency: str) -> str:
    code = currency.strip().lower()
    if code not in CURRENCIES:
        names = ", ".join(sorted(c.upper() for c in CURRENCIES))
        raise InvalidInput(f"Tickets can be sold in {names}.")
    return code


def price_cents(price: int, currency: str = DEFAULT_CURRENCY) -> int:
    """A price in whole units of the server's currency, as minor units."""
    if isinstance(price, bool) or not isinstance(price, int) or not MIN_PRICE <= price <= MAX_PRICE:
        raise InvalidInput(f"A ticket costs from {MIN_PRICE} to {MAX_PRICE} {currency.upper()}.")
    return price * 100


def check_quantity(quantity: int | None, seats_taken: int = 0) -> int | None:
    """None means no cap. A cap below the seats already sold or held would take tickets away from people."""
    if quantity is None:
        return None
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput("The number of tickets must be at least 1 (leave it empty for no limit).")
    if quantity < seats_taken:
        raise InvalidInput(f"{seats_taken} tickets are already sold or reserved: the number can't go below that.")
    return quantity


def check_fee_bps(fee_bps: object) -> int:
    if isinstance(fee_bps, bool) or not isinstance(fee_bps, int) or not 0 <= fee_bps <= MAX_FEE_BPS:
        raise InvalidInput(f"The server's fee is in basis points, from 0 to {MAX_FEE_BPS} (50 %).")
    return fee_bps


def application_fee(amount_cents: int, fee_bps: int) -> int:
    """The server's share, rounded down (a host is never charged a fraction of a cent more than the rate)."""
    return amount_cents * fee_bps // 10_000


def require_ticket_manager(actor: Actor, host_id: int, what: str) -> None:
    """Ticket terms, sales figures and refunds of other members: the host's business, or a server admin's."""
    if actor.user_id != host_id and not actor.is_admin:
        raise NotAllowed(f"Only the host (or a server admin) can {what}.")


def check_on_sale(schedule: ScheduledSpace) -> None:
    """Tickets sell until the live Space ends; raise the reason a member reads otherwise."""
    if schedule.state in (ScheduleState.UPCOMING, ScheduleState.LIVE):
        return
    wording = {
        ScheduleState.ENDED: "has ended",
        ScheduleState.CANCELLED: "was cancelled",
        ScheduleState.MISSED: "never started (it was missed)",
    }
    raise SpaceNotLive(f"This Space {wording[schedule.state]}: tickets are no longer on sale.")


@dataclass(frozen=True, slots=True)
class TicketOffer:
    """The terms of one scheduled Space's tickets. `seats_taken` counts the orders holding a seat."""

    schedule_id: str
    guild_id: int
    host_id: int
    price_cents: int
    currency: str
    quantity: int | None = None
    seats_taken: int = 0

    @property
    def seats_left(self) -> int | None:
        return None if self.quantity is None else max(0, self.quantity - self.seats_taken)

    @property
    def sold_out(self) -> bool:
        return self.quantity is not None and self.seats_taken >= self.quantity

    @property
    def price_label(self) -> str:
        return format_money(self.price_cents, self.currency)


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    schedule_id: str
    user_id: int
    state: OrderState
    amount_cents: int
    currency: str
    created_at: datetime
    expires_at: datetime  # when the Checkout (and so the seat held for it) expires
    fee_cents: int = 0
    destination: str | None = None  # the host's Connect account, for a destination charge
    # Whether the order holds one of the offer's seats. True from creation until the move to a RELEASES_SEAT
    # state; an order refunded after a late payment never gets one back (it is refund_due with seat False).
    seat: bool = True
    checkout_session_id: str | None = None
    checkout_url: str | None = None
    payment_intent: str | None = None
    paid_at: datetime | None = None
    refunded_at: datetime | None = None
    refund_id: str | None = None
    refund_reason: RefundReason | None = None
    choice: HolderChoice | None = None
    # Set when Stripe reported our last refund failed (its failure_reason): the order is paid again, the member
    # keeps the ticket, and a retry is a new refund (key refund-<id>-<attempt>: Stripe would replay the failed one).
    refund_failure: str | None = None
    refund_attempts: int = 0

    @property
    def refund_key(self) -> str:
        """The idempotency key of this order's current refund request."""
        return f"refund-{self.id}" if self.refund_attempts == 0 else f"refund-{self.id}-{self.refund_attempts + 1}"

    @property
    def amount_label(self) -> str:
        return format_money(self.amount_cents, self.currency)

    def require_owner(self, user_id: int) -> None:
        if user_id != self.user_id:
            raise NotAllowed("That ticket isn't yours.")

    def require_refundable_by_holder(self) -> None:
        """After a reschedule a holder may take the refund instead (Keep first, then Refund, is allowed)."""
        if self.state in (OrderState.REFUND_DUE, OrderState.REFUNDED):
            raise Conflict("This ticket is already refunded (or being refunded).")
        if self.state is not OrderState.PAID or self.choice is None:
            raise Conflict("Refunds are offered when a Space is rescheduled; for anything else, ask the host.")


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    """`seq` orders the line (first come, first served); kept so a member put back keeps their place."""

    seq: int
    schedule_id: str
    user_id: int
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class PayoutAccount:
    """A host's Stripe Connect (Express) account; tickets are paid to it by destination charges once ready."""

    host_id: int
    account_id: str
    ready: bool = False


@dataclass(frozen=True, slots=True)
class Checkout:
    """Pay here: the member's Stripe Checkout link, open until `expires_at` (a seat is held until then)."""

    order_id: str
    url: str
    expires_at: datetime
    reused: bool = False  # the member already had this Checkout open: the same link again


@dataclass(frozen=True, slots=True)
class Waitlisted:
    """Sold out: the member is `position`th in line (1 = next) for a released seat."""

    position: int
    already: bool = False


@dataclass(frozen=True, slots=True)
class AlreadyHolder:
    order_id: str


Purchase = Checkout | Waitlisted | AlreadyHolder


class ActionKind(StrEnum):
    """A Stripe call a committed change still owes (see `TicketAction`)."""

    REFUND = "refund"  # subject: a refund_due order: ask Stripe for its refund (or read how it went)
    PROMOTE = "promote"  # subject: a schedule id: free seats go to the waitlist
    CHECKOUT = "checkout"  # subject: an order made for a waiting member: open its Checkout and send the link


@dataclass(frozen=True, slots=True)
class TicketAction:
    """One entry of the outbox: written in the transaction that decided it, removed once carried out. Carrying
    one out twice is harmless (the Stripe call's idempotency key comes from the order, and every transition is
    conditional), so a crash between the call and the removal costs a repeat, never a second refund."""

    id: str
    kind: ActionKind
    subject: str
    due_at: datetime
    attempts: int = 0
