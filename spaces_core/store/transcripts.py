"""The SQL side of `TranscriptRepository`: phrases in `transcript_phrases`, searched through each database's own
full-text index (migration 0008): SQLite's FTS5 table `transcript_fts`, PostgreSQL's `search` tsvector.

A member's words never reach either query language as written: `search_words` keeps letters and digits only, and
each word goes in quoted (FTS5) or as a quoted lexeme (tsquery), all required, the last one a prefix (so "sta"
finds "stage" while the member is still typing). Both databases then agree on what a query means.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import delete, select, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from spaces_core.domain.transcripts import Phrase, TranscriptHit, search_words
from spaces_core.store.tables import SpaceRow, TranscriptPhraseRow

__all__ = ["MAX_HITS", "SqlTranscriptRepository", "fts5_query", "tsquery"]

MAX_HITS = 50  # one page of results in Discord and on the web; a caller asking more gets this many
_MS = timedelta(milliseconds=1)

_SEARCH_SQLITE = text(
    "SELECT p.space_id, p.speaker_id, p.start_ms, p.text FROM transcript_fts"
    " JOIN transcript_phrases p ON p.id = transcript_fts.rowid JOIN spaces s ON s.id = p.space_id"
    " WHERE transcript_fts MATCH :query AND s.guild_id = :guild_id"
    " ORDER BY s.created_at DESC, s.id, p.start_ms, p.id LIMIT :limit"
)
_SEARCH_POSTGRES = text(
    "SELECT p.space_id, p.speaker_id, p.start_ms, p.text FROM transcript_phrases p"
    " JOIN spaces s ON s.id = p.space_id"
    " WHERE p.search @@ to_tsquery('simple', :query) AND s.guild_id = :guild_id"
    " ORDER BY s.created_at DESC, s.id, p.start_ms, p.id LIMIT :limit"
)


def fts5_query(words: Sequence[str]) -> str:
    """`"w1" "w2" "last"*`: FTS5 ANDs the strings; inside quotes nothing is an operator."""
    quoted = [f'"{word}"' for word in words]
    return " ".join(quoted) + "*" if quoted else ""


def tsquery(words: Sequence[str]) -> str:
    """`'w1' & 'w2' & 'last':*` for to_tsquery: quoted lexemes, so `!`, `|`, `<->` in them are plain text."""
    quoted = [f"'{word}'" for word in words]
    if quoted:
        quoted[-1] += ":*"
    return " & ".join(quoted)


class SqlTranscriptRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session
        self._dialect = session.bind.dialect.name if session.bind is not None else "sqlite"

    async def add(self, phrases: Sequence[Phrase]) -> None:
        self._session.add_all(
            TranscriptPhraseRow(
                space_id=p.space_id,
                speaker_id=p.speaker_id,
                start_ms=round(p.start / _MS),  # nearest: the times come from a float clock
                end_ms=round(p.end / _MS),
                text=p.text,
                language=p.language,
            )
            for p in phrases
        )
        await self._session.flush()

    async def of_space(self, space_id: str) -> list[Phrase]:
        rows = await self._session.scalars(
            select(TranscriptPhraseRow)
            .where(col(TranscriptPhraseRow.space_id) == space_id)
            .order_by(col(TranscriptPhraseRow.start_ms), col(TranscriptPhraseRow.id))
        )
        return [Phrase(r.space_id, r.speaker_id, r.start_ms * _MS, r.end_ms * _MS, r.text, r.language) for r in rows]

    async def search(self, guild_id: int, query: str, limit: int = 10) -> list[TranscriptHit]:
        words = search_words(query)
        if not words or limit < 1:
            return []
        if self._dialect == "postgresql":
            statement, match = _SEARCH_POSTGRES, tsquery(words)
        else:
            statement, match = _SEARCH_SQLITE, fts5_query(words)
        result = await self._session.execute(
            statement, {"query": match, "guild_id": guild_id, "limit": min(limit, MAX_HITS)}
        )
        return [TranscriptHit(row.space_id, row.speaker_id, row.start_ms * _MS, row.text) for row in result]

    async def delete_space(self, space_id: str) -> None:
        await self._session.execute(delete(TranscriptPhraseRow).where(col(TranscriptPhraseRow.space_id) == space_id))

    async def delete_member(self, user_id: int) -> None:
        await self._session.execute(delete(TranscriptPhraseRow).where(col(TranscriptPhraseRow.speaker_id) == user_id))

    async def transcribed_spaces(self, guild_id: int, limit: int = 25) -> list[str]:
        # Grouped rather than DISTINCT: the newest Space first needs its start in the ordering.
        statement = (
            select(col(SpaceRow.id))
            .join(TranscriptPhraseRow, col(TranscriptPhraseRow.space_id) == col(SpaceRow.id))
            .where(col(SpaceRow.guild_id) == guild_id)
            .group_by(col(SpaceRow.id), col(SpaceRow.created_at))
            .order_by(col(SpaceRow.created_at).desc(), col(SpaceRow.id))
            .limit(max(0, min(limit, MAX_HITS)))
        )
        return list(await self._session.scalars(statement))

    async def delete_ended_before(self, cutoff: datetime) -> int:
        ended = select(col(SpaceRow.id)).where(col(SpaceRow.ended_at).is_not(None), col(SpaceRow.ended_at) < cutoff)
        statement = delete(TranscriptPhraseRow).where(col(TranscriptPhraseRow.space_id).in_(ended))
        result = cast(CursorResult[tuple[()]], await self._session.execute(statement))
        return result.rowcount
