"""Live captions: whether a Space's captions are on (so they resume after a restart), and the language a server
captions in.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (both databases take a NOT NULL column with a default): no batch rebuild of `spaces`, which
    # transcript_phrases refers to since 0008.
    op.add_column("spaces", sa.Column("captions", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("guild_policies", sa.Column("captions_language", sa.String(8), nullable=False, server_default="en"))


def downgrade() -> None:
    op.drop_column("guild_policies", "captions_language")
    op.drop_column("spaces", "captions")
