"""Scheduled Spaces: the upcoming Spaces, who wants a reminder, the delivery ledger, and member time zones.

Revision ID: 0002
Revises: 0001
Create Date: 2025-05-08

The apscheduler job table is not created here: apscheduler's SQLAlchemy job store owns its own schema
(`spaces_scheduler_jobs`) and creates it on start.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_spaces",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("host_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reminder_offsets", sa.JSON(), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("host_alert_seconds", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("live_space_id", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_scheduled_host_state", "scheduled_spaces", ["host_id", "state"])
    op.create_index("ix_scheduled_guild_state_start", "scheduled_spaces", ["guild_id", "state", "starts_at"])
    op.create_index("ix_scheduled_event", "scheduled_spaces", ["event_id"])
    op.create_table(
        "schedule_audience",
        sa.Column(
            "schedule_id", sa.String(32), sa.ForeignKey("scheduled_spaces.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(16), primary_key=True),
    )
    op.create_table(
        "schedule_deliveries",
        sa.Column("schedule_id", sa.String(32), primary_key=True),
        sa.Column("revision", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("job_key", sa.String(32), primary_key=True),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("member_prefs") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member_prefs") as batch:
        batch.drop_column("timezone")
    op.drop_table("schedule_deliveries")
    op.drop_table("schedule_audience")
    op.drop_index("ix_scheduled_event", table_name="scheduled_spaces")
    op.drop_index("ix_scheduled_guild_state_start", table_name="scheduled_spaces")
    op.drop_index("ix_scheduled_host_state", table_name="scheduled_spaces")
    op.drop_table("scheduled_spaces")
