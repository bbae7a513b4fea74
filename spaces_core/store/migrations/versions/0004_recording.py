"""Recording: whether a Space is being recorded, who opted out, and whether a replay exists or was deleted.

Revision ID: 0004
Revises: 0003
Create Date: 2025-05-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite can't add NOT NULL columns with defaults to a table with a partial index otherwise
    # without a rebuild in some versions; batch keeps one code path for SQLite and PostgreSQL.
    with op.batch_alter_table("spaces") as batch:
        batch.add_column(sa.Column("recording", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("recording_opt_outs", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("recorded", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("replay_deleted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("spaces") as batch:
        for name in ("replay_deleted", "recorded", "recording_opt_outs", "recording"):
            batch.drop_column(name)
