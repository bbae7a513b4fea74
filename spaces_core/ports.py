"""Protocols the adapters implement (store, clock, the bus as services see it, payments). Services depend on
these only."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, tzinfo
from types import TracebackType
from typing import Protocol, Self

from spaces_core.domain.events import DomainEvent
from spaces_core.domain.payment_events import CheckoutState, OpenCheckout, PaymentEvent, RefundResult
from spaces_core.domain.rules import GuildPolicy, MemberPrefs
from spaces_core.domain.schedule import Job, ScheduledSpace
from spaces_core.domain.space import Space
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
from spaces_core.domain.transcripts import Phrase, TranscriptHit
from spaces_core.ports_stats import StatsRepository

__all__ = [
    "BlockRepository",
    "CardRepository",
    "Clock",
    "FollowRepository",
    "JobPlanner",
    "PayoutRepository",
    "PolicyRepository",
    "PrefsRepository",
    "Publish",
    "RecapRepository",
    "ScheduleRepository",
    "SpaceRepository",
    "StatsRepository",
    "TicketActionRepository",
    "TicketPayments",
    "TicketRepository",
    "TranscriptRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WhenReader",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class WhenReader(Protocol):
    def read(self, text: str, *, now: datetime, zone: tzinfo) -> datetime:
        """The start time a member typed, read in their zone: an aware UTC datetime, or `InvalidInput` saying
        what works. Schedule rules (past, horizon) are not its business."""
        ...


class SpaceRepository(Protocol):
    async def add(self, space: Space) -> None:
        """Raise Conflict if another live Space holds the same Stage (a race the service check can't see)."""
        ...

    async def get(self, space_id: str, *, for_update: bool = False) -> Space | None:
        """`for_update`: hold the row until the transaction ends (a writer about to change it), so racers on
        PostgreSQL wait their turn instead of losing the compare-and-set. Only a way to wait: `save`'s version
        check is what keeps a change from being lost (docs/CONCURRENCY.md)."""
        ...

    async def live_in_channel(self, guild_id: int, channel_id: int, *, for_update: bool = False) -> Space | None: ...
    async def live_of_host(self, host_id: int) -> Space | None: ...
    async def live_in_guild(self, guild_id: int) -> list[Space]: ...
    async def all_live(self) -> list[Space]: ...

    async def latest_recorded_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        """The most recently started Space on this Stage that was ever recorded, live or ended."""
        ...

    async def latest_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        """The most recently started Space on this Stage, live or ended."""
        ...

    async def save(self, space: Space) -> None:
        """Write if nobody saved since `space.version` was read, then bump it; else raise ConcurrentUpdate."""
        ...


class FollowRepository(Protocol):
    async def add(self, follower_id: int, host_id: int) -> None: ...
    async def remove(self, follower_id: int, host_id: int) -> bool: ...
    async def exists(self, follower_id: int, host_id: int) -> bool: ...
    async def following(self, follower_id: int) -> list[int]: ...
    async def followers(self, host_id: int) -> list[int]: ...
    async def follower_count(self, host_id: int) -> int: ...

    async def followers_to_notify(self, host_id: int) -> list[int]:
        """Followers who did not turn live DMs off (one query, so big hosts don't cost one per follower)."""
        ...

    async def delete_member(self, user_id: int) -> None:
        """Every follow by or of `user_id`."""
        ...


class PolicyRepository(Protocol):
    async def get(self, guild_id: int) -> GuildPolicy:
        """The saved policy, or the defaults for a server that never changed anything."""
        ...

    async def save(self, policy: GuildPolicy) -> None: ...


class PrefsRepository(Protocol):
    async def get(self, user_id: int) -> MemberPrefs: ...
    async def save(self, prefs: MemberPrefs) -> None: ...
    async def delete(self, user_id: int) -> None: ...


class BlockRepository(Protocol):
    async def block(self, host_id: int, user_id: int) -> None: ...
    async def is_blocked(self, host_id: int, user_id: int) -> bool: ...
    async def unblock(self, host_id: int, user_id: int) -> None: ...

    async def blocked_by(self, host_id: int) -> list[int]:
        """The members on a host's block list (for the unblock picker)."""
        ...

    async def delete_by_host(self, host_id: int) -> None:
        """A host's own block list, for /privacy delete (blocks *of* a member are kept: safety data)."""
        ...


class CardRepository(Protocol):
    async def save_card(self, space_id: str, channel_id: int, message_id: int) -> None: ...
    async def cards(self, space_id: str) -> list[tuple[int, int]]: ...


class ScheduleRepository(Protocol):
    async def add(self, schedule: ScheduledSpace) -> None: ...
    async def get(self, schedule_id: str) -> ScheduledSpace | None: ...
    async def by_event(self, event_id: int) -> ScheduledSpace | None: ...
    async def by_live_space(self, space_id: str) -> ScheduledSpace | None: ...
    async def upcoming_in_guild(self, guild_id: int) -> list[ScheduledSpace]: ...
    async def upcoming_of_host(self, host_id: int) -> list[ScheduledSpace]: ...
    async def count_upcoming_of_host(self, host_id: int) -> int: ...
    async def all_upcoming(self) -> list[ScheduledSpace]: ...

    async def save(self, schedule: ScheduledSpace) -> None:
        """Compare-and-set on `version`, as for Spaces; raise ConcurrentUpdate when someone saved first."""
        ...

    async def set_wish(self, schedule_id: str, user_id: int, source: str, on: bool) -> bool: ...
    async def has_wish(self, schedule_id: str, user_id: int, source: str) -> bool: ...
    async def wishers(self, schedule_id: str) -> list[int]: ...

    async def claim(self, schedule_id: str, revision: int, job_key: str, now: datetime) -> bool:
        """True for the first claimant of this job only (see the SQL implementation)."""
        ...

    async def forget_member(self, user_id: int) -> None: ...


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


class TranscriptRepository(Protocol):
    """Spaces' transcripts, searchable by what was said (full-text, in one guild's Spaces)."""

    async def add(self, phrases: Sequence[Phrase]) -> None: ...
    async def of_space(self, space_id: str) -> list[Phrase]:
        """In the order they were said."""
        ...

    async def search(self, guild_id: int, query: str, limit: int = 10) -> list[TranscriptHit]:
        """Phrases holding every word a member typed (the last as a prefix), newest Spaces first; any text is a
        valid query (quotes and operators are plain words), one with no words finds nothing."""
        ...

    async def delete_space(self, space_id: str) -> None: ...
    async def delete_member(self, user_id: int) -> None: ...
    async def transcribed_spaces(self, guild_id: int, limit: int = 25) -> list[str]:
        """The ids of this guild's Spaces that have a transcript, newest first (at most 50)."""
        ...

    async def delete_ended_before(self, cutoff: datetime) -> int:
        """Delete the transcripts of Spaces that ended before `cutoff`; how many phrases went."""
        ...


class RecapRepository(Protocol):
    """The recaps owed: a row per ended Space from its end until its recap is posted (or given up)."""

    async def owe(self, space_id: str, web_peak: int) -> bool:
        """Owe the Space's recap, with the web listeners' peak it ended with; False if it was owed or posted."""
        ...

    async def posted(self, space_id: str, message_id: int) -> None: ...
    async def owed(self) -> list[tuple[str, int]]:
        """(space id, web peak) of each recap owed and not posted."""
        ...

    async def forget(self, space_id: str) -> None: ...
    async def web_peak(self, space_id: str) -> int | None:
        """The web listeners' peak the Space ended with, while its row is kept (None once forgotten)."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the `async with` block without `commit()` rolls back."""

    # Read-only properties so an implementation may hold its own concrete repository types.
    @property
    def spaces(self) -> SpaceRepository: ...
    @property
    def follows(self) -> FollowRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def prefs(self) -> PrefsRepository: ...
    @property
    def blocks(self) -> BlockRepository: ...
    @property
    def cards(self) -> CardRepository: ...
    @property
    def schedules(self) -> ScheduleRepository: ...
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def payouts(self) -> PayoutRepository: ...
    @property
    def ticket_actions(self) -> TicketActionRepository: ...
    @property
    def stage_access(self) -> StageAccessRepository: ...
    @property
    def transcripts(self) -> TranscriptRepository: ...
    @property
    def recaps(self) -> RecapRepository: ...
    @property
    def stats(self) -> StatsRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Publish(Protocol):
    """What a service that changes a Space needs of the message bus (`spaces_core.bus.MessageBus`): hand it the
    committed events with the Space as saved."""

    async def publish(self, space: Space, events: Sequence[DomainEvent], /) -> None: ...


class JobPlanner(Protocol):
    """The persistent scheduler (apscheduler in production). Jobs are keyed by Space, revision and job key."""

    async def plan(self, schedule_id: str, revision: int, jobs: Sequence[Job]) -> None: ...

    async def unplan(self, schedule_id: str, revision: int, keys: Sequence[str]) -> None:
        """Drop the jobs of one revision; a stale one left behind (a crash in between) is ignored when it fires."""
        ...


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
