"""Broadcast: whether a live Space's web listeners hear it over HLS only (so it stays so after a restart).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, as 0009 did for captions: no batch rebuild of `spaces`, which other tables refer to.
    op.add_column("spaces", sa.Column("broadcast", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("spaces", "broadcast")
