"""The store and the payment provider as ticketed Spaces need them; kept beside `spaces_core.ports`, which re-exports
them, so that module stays readable."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from spaces_core.domain.payment_events import CheckoutState, OpenCheckout, PaymentEvent, RefundResult
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.tickets import (
    ActionKind,
    HolderChoice,
    Order,
    OrderState,
    PayoutAccount,
    TicketAction,
    TicketOffer,
    WaitlistEntry,
)

__all__ = [
    "PayoutRepository",
    "StageAccessRepository",
    "StageConnect",
    "TicketActionRepository",
    "TicketPayments",
    "TicketRepository",
]


class TicketRepository(Protocol):
    """Offers, orders, tickets, the waitlist and applied payment events. Every state change is conditional: the
    methods that change an order return whether it changed, and callers act only on True."""

    async def offer(self, schedule_id: str) -> TicketOffer | None: ...
    async def add_offer(self, offer: TicketOffer) -> None: ...

    async def set_terms(self, schedule_id: str, price_cents: int, quantity: int | None) -> bool:
        """New price and cap; False (nothing changed) when the cap is now below the seats taken (a race)."""
        ...

    async def take_seat(self, schedule_id: str) -> bool:
        """One more seat held, only if one is free (`seats_taken < quantity`, or no cap): the oversell guard."""
        ...

    async def lock_offer(self, schedule_id: str) -> None:
        """Serialise seat releases with seat takes (row lock on PostgreSQL; SQLite has one writer anyway)."""
        ...

    async def add_order(self, order: Order) -> bool:
        """False when the member already has an order holding a seat for this Space (nothing inserted)."""
        ...

    async def order(self, order_id: str) -> Order | None: ...

    async def order_and_schedule(
        self, order_id: str | None = None, *, payment_intent: str | None = None
    ) -> tuple[Order, ScheduledSpace] | None:
        """The order (by id, else by its PaymentIntent) with its scheduled Space, read together."""
        ...

    async def active_order(self, schedule_id: str, user_id: int) -> Order | None: ...

    async def orders(
        self,
        *,
        schedule_id: str | None = None,
        states: Collection[OrderState] = (),
        ids: Collection[str] = (),
        expiring_before: datetime | None = None,
    ) -> list[Order]:
        """Orders matching every filter given, oldest first."""
        ...

    async def move(self, order: Order, to: OrderState, **changes: object) -> Order | None:
        """Move the order to `to` if it is in one of `sources(to)`, setting `changes` (Order field names) with it;
        seats are released here when `to` does not hold one. The changed order, or None when nothing changed."""
        ...

    async def pay(self, order: Order, now: datetime, **changes: object) -> tuple[Order, bool] | None:
        """`move(order, PAID, **changes)` with the member's ticket inserted (granted at `now`) in the same
        transaction: (the paid order, whether the ticket was inserted; False if the member already holds one), or
        None when the order was not in a state it may be paid from (nothing changed)."""
        ...

    async def set_checkout(self, order_id: str, session_id: str, url: str) -> bool: ...
    async def set_refund(self, order_id: str, refund_id: str) -> bool: ...

    async def refund_failed(self, order: Order, refund_id: str | None, failure: str, now: datetime) -> Order | None:
        """refund_due → paid, the failure recorded, the ticket given back (a refunded order whose refund
        `refund_id` failed afterwards: only the failure recorded); None when nothing changed."""
        ...

    async def set_choice(self, order_id: str, choice: HolderChoice, *, only_from: Collection[HolderChoice]) -> bool: ...

    async def ask_holders(self, schedule_id: str) -> list[Order]:
        """Every paid order of the Space gets the Keep-or-Refund question; returns them."""
        ...

    async def grant(self, order: Order, now: datetime) -> bool:
        """Insert the ticket of a paid order; False if the member already holds one (never two)."""
        ...

    async def revoke(self, order: Order) -> None: ...
    async def holders(self, schedule_id: str) -> list[int]: ...
    async def is_holder(self, schedule_id: str, user_id: int) -> bool: ...

    async def join_waitlist(self, schedule_id: str, user_id: int, now: datetime) -> tuple[int, bool]:
        """(position from 1, whether the member was already waiting)."""
        ...

    async def waiting(self, schedule_id: str, *, limit: int = 1) -> list[WaitlistEntry]:
        """First in line first, skipping members who hold a seat already."""
        ...

    async def has_waiting(self, schedule_id: str) -> bool: ...
    async def leave_waitlist(self, schedule_id: str, user_id: int) -> WaitlistEntry | None: ...

    async def restore_waitlist(self, entry: WaitlistEntry) -> None:
        """Put a member back at their old place (their offer could not be made)."""
        ...

    async def clear_waitlist(self, schedule_id: str) -> list[int]: ...
    async def offers_with_waitlist(self) -> list[str]: ...

    async def record_event(self, event_id: str, event_type: str, outcome: str, now: datetime) -> bool:
        """Record an event id as applied, in the transaction of its effects; False (nothing inserted) when it was
        recorded before: the caller must then roll back. On PostgreSQL a concurrent duplicate waits here for the
        first one's commit, then gets False."""
        ...

    async def known_events(self, event_ids: Collection[str]) -> set[str]:
        """Which of these event ids were applied already."""
        ...


class TicketActionRepository(Protocol):
    """The outbox of Stripe calls owed by committed ticket changes (see `TicketAction`)."""

    async def add(
        self, actions: Sequence[TicketAction], now: datetime, *, claimed_until: datetime | None = None
    ) -> None: ...
    async def due(self, now: datetime, *, ids: Sequence[str] | None = None, limit: int = 100) -> list[TicketAction]: ...
    async def claim(self, action_id: str, now: datetime, until: datetime) -> bool: ...
    async def done(self, action_id: str) -> None: ...
    async def postpone(self, action_id: str, due_at: datetime) -> None: ...
    async def subjects(self, kind: ActionKind) -> set[str]: ...
    async def pending(self) -> int: ...


class PayoutRepository(Protocol):
    async def get(self, host_id: int) -> PayoutAccount | None: ...
    async def by_account(self, account_id: str) -> PayoutAccount | None: ...
    async def save(self, account: PayoutAccount) -> None: ...


StageConnect = Mapping[int, bool | None]  # role id -> its Connect in the Stage's overwrites (None: inherit)


class StageAccessRepository(Protocol):
    """What a Stage's Connect overwrites were before a ticketed Space closed its doors."""

    async def remember(self, channel_id: int, connect: StageConnect, now: datetime) -> None:
        """The Stage's record is `connect` from now on (replacing one a failed clean-up left behind)."""
        ...

    async def recall(self, channel_id: int) -> StageConnect | None: ...
    async def forget(self, channel_id: int) -> None: ...


class TicketPayments(Protocol):
    """The payment provider (Stripe Checkout, refunds, Connect). Every write takes an idempotency key derived from
    our records, so a retry after a crash or a timeout makes no second Checkout, refund or account.
    Failures raise `PaymentUnavailable` (the member's sentence in `.message`)."""

    async def open_checkout(self, order: Order, *, title: str) -> OpenCheckout:
        """A Checkout for the order: its amount, currency, expiry, fee and destination (key: the order id)."""
        ...

    async def expire_checkout(self, session_id: str) -> CheckoutState:
        """Close an open Checkout; the final state either way (it may have been paid at the last moment)."""
        ...

    async def refund(self, order: Order) -> RefundResult:
        """Refund the order's whole payment (key: `order.refund_key`), taking a destination charge back from the
        host; when the order already names its refund (`order.refund_id`), how that refund stands now."""
        ...

    async def recent_checkouts(self, since: datetime) -> list[CheckoutState]: ...

    async def recent_events(self, since: datetime) -> list[PaymentEvent]:
        """Events of the handled types since then, oldest first (what webhooks should have brought)."""
        ...

    async def create_payout_account(self, host_id: int) -> str:
        """A Connect Express account for the host (key: the host id, so at most one); its id."""
        ...

    async def payout_onboarding_link(self, account_id: str) -> str: ...
    async def payout_account_ready(self, account_id: str) -> bool: ...
