"""Sharding: the mail one bot process leaves for the process that holds a guild's shard (the Discord side of a
webhook that reached the wrong process), and each shard's web address (where its Spaces' listen pages are).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shard_mail",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("shard_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_shard_mail_shard", "shard_mail", ["shard_id", "id"])
    op.create_table(
        "shard_web_addresses",
        sa.Column("shard_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("base_url", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shard_web_addresses")
    op.drop_index("ix_shard_mail_shard", table_name="shard_mail")
    op.drop_table("shard_mail")
