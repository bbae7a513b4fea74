"""The outbox of Stripe calls owed by committed ticket changes (refunds, waitlist Checkouts), so a webhook is
answered before they are made and a crash loses none; orders remember a failed refund and how many were tried.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_actions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_ticket_actions_due", "ticket_actions", ["due_at"])
    with op.batch_alter_table("ticket_orders") as batch:
        batch.add_column(sa.Column("refund_failure", sa.String(64), nullable=True))
        batch.add_column(sa.Column("refund_attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_ticket_orders_payment_intent", "ticket_orders", ["payment_intent"])


def downgrade() -> None:
    op.drop_index("ix_ticket_orders_payment_intent", table_name="ticket_orders")
    with op.batch_alter_table("ticket_orders") as batch:
        batch.drop_column("refund_attempts")
        batch.drop_column("refund_failure")
    op.drop_index("ix_ticket_actions_due", table_name="ticket_actions")
    op.drop_table("ticket_actions")
