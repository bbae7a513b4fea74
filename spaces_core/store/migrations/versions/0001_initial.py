"""Initial schema: spaces, follows, member prefs, guild policies, host blocks, space cards.

Revision ID: 0001
Revises:
Create Date: 2025-05-01

Hand-written to match spaces_core/store/tables.py. Discord ids are BIGINT (they don't fit PostgreSQL's
32-bit INTEGER); the partial unique index keeps one live Space per Stage even under concurrent starts.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("state = 'live'")


def _utc(name: str, nullable: bool) -> "sa.Column[datetime]":
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "spaces",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("host_id", sa.BigInteger(), nullable=False),
        sa.Column("original_host_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("speaker_limit", sa.Integer(), nullable=False),
        sa.Column("peak_listeners", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.JSON(), nullable=False)
            for name in (
                "topics", "cohosts", "speakers", "present", "queue", "invites",
                "removed", "muted", "links", "reactions", "spoke",
            )
        ),
        _utc("created_at", False),
        _utc("started_at", True),
        _utc("ended_at", True),
        _utc("host_absent_since", True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_spaces_host_id", "spaces", ["host_id"])
    op.create_index("ix_spaces_state_guild", "spaces", ["state", "guild_id"])
    op.create_index(
        "uq_spaces_live_channel", "spaces", ["guild_id", "channel_id"], unique=True,
        sqlite_where=LIVE, postgresql_where=LIVE,
    )
    op.create_table(
        "follows",
        sa.Column("follower_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("host_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("CURRENT_TIMESTAMP")),
    )
    op.create_index("ix_follows_host_id", "follows", ["host_id"])
    op.create_table(
        "member_prefs",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("live_dms", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "guild_policies",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("speaker_limit", sa.Integer(), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("feed_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("stage_category_id", sa.BigInteger(), nullable=True),
        sa.Column("moderator_role_id", sa.BigInteger(), nullable=True),
        sa.Column("live_board_message_id", sa.BigInteger(), nullable=True),
        sa.Column("min_followers", sa.Integer(), nullable=False),
        sa.Column("required_role_ids", sa.JSON(), nullable=False),
    )
    op.create_table(
        "host_blocks",
        sa.Column("host_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    )
    op.create_table(
        "space_cards",
        sa.Column("space_id", sa.String(32), sa.ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("channel_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("space_cards")
    op.drop_table("host_blocks")
    op.drop_table("guild_policies")
    op.drop_table("member_prefs")
    op.drop_index("ix_follows_host_id", table_name="follows")
    op.drop_table("follows")
    op.drop_index("uq_spaces_live_channel", table_name="spaces")
    op.drop_index("ix_spaces_state_guild", table_name="spaces")
    op.drop_index("ix_spaces_host_id", table_name="spaces")
    op.drop_table("spaces")
