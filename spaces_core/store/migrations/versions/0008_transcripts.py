"""Transcripts: the phrases said in a Space, with a full-text index on each database (SQLite FTS5, PostgreSQL
tsvector + GIN), for /space transcript and /spaces search.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# remove_diacritics 0: PostgreSQL's `simple` configuration keeps accents too, so a search finds the same phrases
# on both databases.
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE transcript_fts USING fts5(text, content='transcript_phrases', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER transcript_fts_insert AFTER INSERT ON transcript_phrases BEGIN"
    " INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER transcript_fts_delete AFTER DELETE ON transcript_phrases BEGIN"
    " INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER transcript_fts_update AFTER UPDATE ON transcript_phrases BEGIN"
    " INSERT INTO transcript_fts(transcript_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    " INSERT INTO transcript_fts(rowid, text) VALUES (new.id, new.text); END",
)
# `simple`, not `english`: the English configuration drops stop words ("who", "what", "not", "this") and stems
# the rest, so a member searching for "who said" would find nothing, and the results would differ from SQLite's.
_POSTGRES_FTS = (
    "ALTER TABLE transcript_phrases ADD COLUMN search tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
    "CREATE INDEX ix_transcript_phrases_search ON transcript_phrases USING GIN (search)",
)


def upgrade() -> None:
    op.create_table(
        "transcript_phrases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("space_id", sa.String(32), sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("speaker_id", sa.BigInteger(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
    )
    op.create_index("ix_transcript_phrases_space_start", "transcript_phrases", ["space_id", "start_ms"])
    op.create_index("ix_transcript_phrases_speaker_id", "transcript_phrases", ["speaker_id"])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_FTS if dialect == "sqlite" else _POSTGRES_FTS if dialect == "postgresql" else ():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("transcript_fts_update", "transcript_fts_delete", "transcript_fts_insert"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE transcript_fts")
    # PostgreSQL: the search column and its index go with the table.
    op.drop_index("ix_transcript_phrases_speaker_id", table_name="transcript_phrases")
    op.drop_index("ix_transcript_phrases_space_start", table_name="transcript_phrases")
    op.drop_table("transcript_phrases")
