"""Reminder offsets per server, and finding the scheduled Space a live Space came from.

Revision ID: 0003
Revises: 0002
Create Date: 2025-05-12

`guild_policies.reminder_offsets` is NULL for servers that set nothing: they keep the bot-wide REMINDER_OFFSETS.
The index on `scheduled_spaces.live_space_id` serves the lookup made when a live Space ends (its Discord event
is marked completed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guild_policies") as batch:
        batch.add_column(sa.Column("reminder_offsets", sa.JSON(none_as_null=True), nullable=True))
    op.create_index("ix_scheduled_live_space", "scheduled_spaces", ["live_space_id"])


def downgrade() -> None:
    op.drop_index("ix_scheduled_live_space", table_name="scheduled_spaces")
    with op.batch_alter_table("guild_policies") as batch:
        batch.drop_column("reminder_offsets")
