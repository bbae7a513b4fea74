"""Recaps: one row per ended Space whose recap is owed or posted, so a restart neither loses nor repeats it, and
the web listeners' peak the Space ended with (it was only in the ended process's memory).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "space_recaps",
        sa.Column("space_id", sa.String(32), sa.ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("web_peak", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("space_recaps")
