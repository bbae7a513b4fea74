"""Ticketed Spaces: offers with their seat count, orders, tickets, the waitlist, applied payment events, hosts'
Connect accounts, and the server's ticket terms (currency, application fee).

Revision ID: 0005
Revises: 0004
Create Date: 2025-06-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("guild_policies") as batch:
        batch.add_column(sa.Column("ticket_currency", sa.String(3), nullable=False, server_default="usd"))
        batch.add_column(sa.Column("ticket_fee_bps", sa.Integer(), nullable=False, server_default="0"))

    op.create_table(
        "ticket_offers",
        sa.Column("schedule_id", sa.String(32), sa.ForeignKey("scheduled_spaces.id"), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("host_id", sa.BigInteger(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.CheckConstraint("seats_taken >= 0 AND (quantity IS NULL OR seats_taken <= quantity)", name="ck_seats"),
    )
    op.create_table(
        "ticket_orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("schedule_id", sa.String(32), sa.ForeignKey("ticket_offers.schedule_id"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(64), nullable=True),
        sa.Column("seat", sa.Boolean(), nullable=False),
        _utc("created_at", False),
        _utc("expires_at", False),
        sa.Column("checkout_session_id", sa.String(255), nullable=True),
        sa.Column("checkout_url", sa.Text(), nullable=True),
        sa.Column("payment_intent", sa.String(255), nullable=True),
        _utc("paid_at", True),
        _utc("refunded_at", True),
        sa.Column("refund_id", sa.String(255), nullable=True),
        sa.Column("refund_reason", sa.String(16), nullable=True),
        sa.Column("choice", sa.String(8), nullable=True),
    )
    op.create_index(
        "uq_ticket_orders_active",
        "ticket_orders",
        ["schedule_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("seat"),
        postgresql_where=sa.text("seat"),
    )
    op.create_index("ix_ticket_orders_schedule_state", "ticket_orders", ["schedule_id", "state"])
    op.create_index("ix_ticket_orders_state_expires", "ticket_orders", ["state", "expires_at"])
    op.create_index("ix_ticket_orders_session", "ticket_orders", ["checkout_session_id"])
    op.create_table(
        "tickets",
        sa.Column("schedule_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("order_id", sa.String(32), sa.ForeignKey("ticket_orders.id"), nullable=False, unique=True),
        _utc("granted_at", False),
    )
    op.create_table(
        "ticket_waitlist",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        _utc("joined_at", False),
        sa.UniqueConstraint("schedule_id", "user_id", name="uq_ticket_waitlist_member"),
    )
    op.create_index("ix_ticket_waitlist_schedule_id", "ticket_waitlist", ["schedule_id"])
    op.create_table(
        "payment_events",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        _utc("received_at", False),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_table(
        "payout_accounts",
        sa.Column("host_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("account_id", sa.String(64), nullable=False, unique=True),
        sa.Column("ready", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    for table in ("payout_accounts", "payment_events", "ticket_waitlist", "tickets", "ticket_orders", "ticket_offers"):
        op.drop_table(table)
    with op.batch_alter_table("guild_policies") as batch:
        batch.drop_column("ticket_fee_bps")
        batch.drop_column("ticket_currency")
