"""Table classes (SQLModel). Kept apart from the domain: mappers.py converts rows to aggregates and back.

Discord ids are snowflakes up to 2**63: every id column is BIGINT (INTEGER is 32-bit on PostgreSQL), and the
role collections are JSON arrays of ints, which both SQLite and PostgreSQL store without loss of precision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

__all__ = [
    "AudienceRow",
    "CardRow",
    "DeliveryRow",
    "FollowRow",
    "GuildPolicyRow",
    "HostBlockRow",
    "MemberPrefsRow",
    "PaymentEventRow",
    "PayoutAccountRow",
    "RecapRow",
    "ScheduledSpaceRow",
    "SpaceRow",
    "StageAccessRow",
    "TicketActionRow",
    "TicketOfferRow",
    "TicketOrderRow",
    "TicketRow",
    "TranscriptPhraseRow",
    "WaitlistRow",
    "metadata",
]

metadata = SQLModel.metadata


def _snowflake(*, primary_key: bool = False, nullable: bool = False, index: bool = False) -> int:
    return Field(  # type: ignore[no-any-return]
        sa_column=Column(BigInteger, primary_key=primary_key, nullable=nullable, index=index, autoincrement=False)
    )


def _utc(*, nullable: bool) -> datetime:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=nullable))  # type: ignore[no-any-return]


class SpaceRow(SQLModel, table=True):
    __tablename__ = "spaces"
    __table_args__ = (
        # One live Space per Stage, enforced by the database so two simultaneous /space start can't both win.
        Index(
            "uq_spaces_live_channel",
            "guild_id",
            "channel_id",
            unique=True,
            sqlite_where=text("state = 'live'"),
            postgresql_where=text("state = 'live'"),
        ),
        Index("ix_spaces_state_guild", "state", "guild_id"),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    guild_id: int = _snowflake()
    channel_id: int = _snowflake()
    host_id: int = _snowflake(index=True)
    original_host_id: int = _snowflake()
    title: str = Field(sa_column=Column(String(100), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    speaker_limit: int
    peak_listeners: int
    topics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    cohosts: list[int] = Field(sa_column=Column(JSON, nullable=False))
    speakers: list[int] = Field(sa_column=Column(JSON, nullable=False))
    present: list[int] = Field(sa_column=Column(JSON, nullable=False))
    queue: list[int] = Field(sa_column=Column(JSON, nullable=False))
    invites: list[int] = Field(sa_column=Column(JSON, nullable=False))
    removed: list[int] = Field(sa_column=Column(JSON, nullable=False))
    muted: list[int] = Field(sa_column=Column(JSON, nullable=False))
    links: list[str] = Field(sa_column=Column(JSON, nullable=False))
    reactions: dict[str, int] = Field(sa_column=Column(JSON, nullable=False))
    spoke: list[int] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc(nullable=False)
    started_at: datetime | None = _utc(nullable=True)
    ended_at: datetime | None = _utc(nullable=True)
    host_absent_since: datetime | None = _utc(nullable=True)
    recording: bool = False
    recording_opt_outs: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded: bool = False
    replay_deleted: bool = False
    captions: bool = False
    broadcast: bool = False
    version: int


class FollowRow(SQLModel, table=True):
    __tablename__ = "follows"

    follower_id: int = _snowflake(primary_key=True)
    host_id: int = _snowflake(primary_key=True, index=True)
    # Filled by the database on insert (None only on a row not yet flushed).
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=text("CURRENT_TIMESTAMP")),
    )


class MemberPrefsRow(SQLModel, table=True):
    __tablename__ = "member_prefs"

    user_id: int = _snowflake(primary_key=True)
    live_dms: bool = True
    timezone: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class GuildPolicyRow(SQLModel, table=True):
    __tablename__ = "guild_policies"

    guild_id: int = _snowflake(primary_key=True)
    speaker_limit: int
    grace_seconds: int
    feed_channel_id: int | None = _snowflake(nullable=True)
    stage_category_id: int | None = _snowflake(nullable=True)
    moderator_role_id: int | None = _snowflake(nullable=True)
    live_board_message_id: int | None = _snowflake(nullable=True)
    min_followers: int = 0
    required_role_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    reminder_offsets: list[int] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    ticket_currency: str = Field(default="usd", sa_column=Column(String(3), nullable=False, server_default="usd"))
    ticket_fee_bps: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    captions_language: str = Field(default="en", sa_column=Column(String(8), nullable=False, server_default="en"))


class HostBlockRow(SQLModel, table=True):
    __tablename__ = "host_blocks"

    host_id: int = _snowflake(primary_key=True)
    user_id: int = _snowflake(primary_key=True)


class CardRow(SQLModel, table=True):
    __tablename__ = "space_cards"

    space_id: str = Field(sa_column=Column(String(32), ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True))
    channel_id: int = _snowflake(primary_key=True)
    message_id: int = _snowflake()


class ScheduledSpaceRow(SQLModel, table=True):
    __tablename__ = "scheduled_spaces"
    __table_args__ = (
        Index("ix_scheduled_host_state", "host_id", "state"),
        Index("ix_scheduled_guild_state_start", "guild_id", "state", "starts_at"),
        Index("ix_scheduled_event", "event_id"),
        Index("ix_scheduled_live_space", "live_space_id"),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    guild_id: int = _snowflake()
    channel_id: int = _snowflake()
    host_id: int = _snowflake()
    title: str = Field(sa_column=Column(String(100), nullable=False))
    topics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = _utc(nullable=False)
    created_at: datetime = _utc(nullable=False)
    state: str = Field(sa_column=Column(String(16), nullable=False))
    reminder_offsets: list[int] = Field(sa_column=Column(JSON, nullable=False))
    grace_seconds: int
    host_alert_seconds: int
    revision: int
    event_id: int | None = _snowflake(nullable=True)
    live_space_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    version: int


class AudienceRow(SQLModel, table=True):
    """Who asked to be reminded, and how: "button" (Remind me) or "interested" (the Discord event)."""

    __tablename__ = "schedule_audience"

    schedule_id: str = Field(
        sa_column=Column(String(32), ForeignKey("scheduled_spaces.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = _snowflake(primary_key=True)
    source: str = Field(sa_column=Column(String(16), primary_key=True))


class DeliveryRow(SQLModel, table=True):
    """One row per job that ran: the claim that makes a reminder go out once even if two processes fire it."""

    __tablename__ = "schedule_deliveries"

    schedule_id: str = Field(sa_column=Column(String(32), primary_key=True))
    revision: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    job_key: str = Field(sa_column=Column(String(32), primary_key=True))
    ran_at: datetime = _utc(nullable=False)


# --- Tickets (spaces_core.domain.tickets) -------------------------------------------------------------------


class TicketOfferRow(SQLModel, table=True):
    """A scheduled Space's ticket terms. `seats_taken` moves only by conditional UPDATEs in the transactions that
    create or end orders; the CHECK is the database's own guarantee that no Space is ever oversold."""

    __tablename__ = "ticket_offers"
    __table_args__ = (
        CheckConstraint("seats_taken >= 0 AND (quantity IS NULL OR seats_taken <= quantity)", name="ck_seats"),
    )

    schedule_id: str = Field(sa_column=Column(String(32), ForeignKey("scheduled_spaces.id"), primary_key=True))
    guild_id: int = _snowflake()
    host_id: int = _snowflake()
    price_cents: int = Field(sa_column=Column(Integer, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    quantity: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    seats_taken: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class TicketOrderRow(SQLModel, table=True):
    __tablename__ = "ticket_orders"
    __table_args__ = (
        # One order holding a seat per member and Space: a double click can't take two seats.
        Index(
            "uq_ticket_orders_active",
            "schedule_id",
            "user_id",
            unique=True,
            sqlite_where=text("seat"),
            postgresql_where=text("seat"),
        ),
        Index("ix_ticket_orders_schedule_state", "schedule_id", "state"),
        Index("ix_ticket_orders_state_expires", "state", "expires_at"),
        Index("ix_ticket_orders_session", "checkout_session_id"),
        Index("ix_ticket_orders_payment_intent", "payment_intent"),  # a dashboard refund names only its payment
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    schedule_id: str = Field(sa_column=Column(String(32), ForeignKey("ticket_offers.schedule_id"), nullable=False))
    user_id: int = _snowflake()
    state: str = Field(sa_column=Column(String(16), nullable=False))
    amount_cents: int = Field(sa_column=Column(Integer, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    fee_cents: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    destination: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    seat: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = _utc(nullable=False)
    expires_at: datetime = _utc(nullable=False)
    checkout_session_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    checkout_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    payment_intent: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    paid_at: datetime | None = _utc(nullable=True)
    refunded_at: datetime | None = _utc(nullable=True)
    refund_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    refund_reason: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    choice: str | None = Field(default=None, sa_column=Column(String(8), nullable=True))
    refund_failure: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    refund_attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class TicketRow(SQLModel, table=True):
    """One row per ticket held: inserted by the pending/processing → paid transition, deleted when a refund is
    decided. The primary key is the "one ticket per member and Space" rule."""

    __tablename__ = "tickets"

    schedule_id: str = Field(sa_column=Column(String(32), primary_key=True))
    user_id: int = _snowflake(primary_key=True)
    order_id: str = Field(sa_column=Column(String(32), ForeignKey("ticket_orders.id"), nullable=False, unique=True))
    granted_at: datetime = _utc(nullable=False)


class WaitlistRow(SQLModel, table=True):
    __tablename__ = "ticket_waitlist"
    __table_args__ = (UniqueConstraint("schedule_id", "user_id", name="uq_ticket_waitlist_member"),)

    # BIGINT on PostgreSQL; on SQLite only an INTEGER PRIMARY KEY is an auto-incrementing rowid.
    seq: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    schedule_id: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    user_id: int = _snowflake()
    joined_at: datetime = _utc(nullable=False)


class PaymentEventRow(SQLModel, table=True):
    """Every provider event applied, inserted in the transaction of its effects: the key makes it once."""

    __tablename__ = "payment_events"

    event_id: str = Field(sa_column=Column(String(255), primary_key=True))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    received_at: datetime = _utc(nullable=False)
    outcome: str = Field(sa_column=Column(String(16), nullable=False))


class TicketActionRow(SQLModel, table=True):
    """The outbox of Stripe calls a committed change still owes: written in the transaction that decided them,
    deleted once carried out. `kind`: refund (subject: an order id), promote (a schedule id: free seats to the
    waitlist), checkout (an order id made for a waiting member: open its Checkout, send the link). A claim is a
    lease (`claimed_until`), so another process takes over an action whose runner died."""

    __tablename__ = "ticket_actions"
    __table_args__ = (Index("ix_ticket_actions_due", "due_at"),)

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    subject: str = Field(sa_column=Column(String(32), nullable=False))
    created_at: datetime = _utc(nullable=False)
    due_at: datetime = _utc(nullable=False)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    claimed_until: datetime | None = _utc(nullable=True)


class PayoutAccountRow(SQLModel, table=True):
    __tablename__ = "payout_accounts"

    host_id: int = _snowflake(primary_key=True)
    account_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    ready: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))


class StageAccessRow(SQLModel, table=True):
    """Who could connect to a Stage before a ticketed Space closed its doors, to put back when it ends (also after a
    restart). `connect`: role id (a string: JSON keys are) -> that role's Connect then: true, false or null."""

    __tablename__ = "stage_access_before"

    channel_id: int = _snowflake(primary_key=True)
    connect: dict[str, bool | None] = Field(sa_column=Column(JSON, nullable=False))
    saved_at: datetime = _utc(nullable=False)


class TranscriptPhraseRow(SQLModel, table=True):
    """One phrase of a Space's transcript. Its full-text index lives beside it, made by migration 0008 only
    (SQLite: the FTS5 table `transcript_fts` kept in step by triggers; PostgreSQL: the generated `search`
    tsvector column and its GIN index); the search queries are in store/transcripts.py."""

    __tablename__ = "transcript_phrases"
    __table_args__ = (Index("ix_transcript_phrases_space_start", "space_id", "start_ms"),)

    # INTEGER on SQLite makes the id the rowid, which the FTS5 table points at (content_rowid).
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    space_id: str = Field(sa_column=Column(String(32), ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False))
    speaker_id: int = _snowflake(index=True)
    start_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    end_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(sa_column=Column(String(16), nullable=False))


class RecapRow(SQLModel, table=True):
    """An ended Space's recap: owed while `message_id` is empty, posted once it holds the message."""

    __tablename__ = "space_recaps"

    space_id: str = Field(sa_column=Column(String(32), ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True))
    web_peak: int = Field(sa_column=Column(Integer, nullable=False))
    message_id: int | None = _snowflake(nullable=True)
