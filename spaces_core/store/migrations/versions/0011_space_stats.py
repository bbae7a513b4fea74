"""Host analytics: each live Space's sampled listeners, speakers, hands and reactions, its speakers' talk time and
its raised hands' waits; all deleted with their Space.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _space_id(primary_key: bool = False) -> sa.Column[str]:
    fk = sa.ForeignKey("spaces.id", ondelete="CASCADE")
    return sa.Column("space_id", sa.String(32), fk, nullable=False, primary_key=primary_key)


def _serial() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "space_stats_samples",
        _serial(),
        _space_id(),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discord_listeners", sa.Integer(), nullable=False),
        sa.Column("web_listeners", sa.Integer(), nullable=False),
        sa.Column("speakers", sa.Integer(), nullable=False),
        sa.Column("hands", sa.Integer(), nullable=False),
        sa.Column("reactions", sa.JSON(), nullable=False),
    )
    op.create_index("ix_space_stats_samples_space", "space_stats_samples", ["space_id", "taken_at"])
    op.create_table(
        "space_talk_time",
        _space_id(primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "space_hand_waits",
        _serial(),
        _space_id(),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lowered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
    )
    op.create_index("ix_space_hand_waits_space", "space_hand_waits", ["space_id", "user_id"])


def downgrade() -> None:
    op.drop_table("space_hand_waits")
    op.drop_table("space_talk_time")
    op.drop_index("ix_space_stats_samples_space", table_name="space_stats_samples")
    op.drop_table("space_stats_samples")
