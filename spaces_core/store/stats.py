"""The SQL side of `StatsRepository`: samples, talk time and hand waits, each row tied to its Space."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from spaces_core.domain.space import Space
from spaces_core.domain.stats import HandWait, StatsSample, to_thin
from spaces_core.store.mappers import space_from_row
from spaces_core.store.stats_tables import HandWaitRow, StatsSampleRow, TalkTimeRow
from spaces_core.store.tables import SpaceRow

__all__ = ["SqlStatsRepository"]

SCAN_LIMIT = 500  # the guild's newest Spaces looked through for a member's own (co-hosts are a JSON list)


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SqlStatsRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def add_sample(self, space_id: str, sample: StatsSample) -> None:
        self._session.add(
            StatsSampleRow(
                space_id=space_id,
                taken_at=sample.taken_at,
                discord_listeners=sample.discord_listeners,
                web_listeners=sample.web_listeners,
                speakers=sample.speakers,
                hands=sample.hands,
                reactions=dict(sample.reactions),
            )
        )
        await self._session.flush()

    async def samples(self, space_id: str) -> list[StatsSample]:
        rows = await self._session.scalars(
            select(StatsSampleRow)
            .where(col(StatsSampleRow.space_id) == space_id)
            .order_by(col(StatsSampleRow.taken_at), col(StatsSampleRow.id))
        )
        return [
            StatsSample(
                _aware(r.taken_at), r.discord_listeners, r.web_listeners, r.speakers, r.hands, dict(r.reactions)
            )
            for r in rows
        ]

    async def count_samples(self, space_id: str) -> int:
        query = select(func.count()).select_from(StatsSampleRow).where(col(StatsSampleRow.space_id) == space_id)
        return int(await self._session.scalar(query) or 0)

    async def thin_samples(self, space_id: str) -> int:
        ids = await self._session.scalars(
            select(col(StatsSampleRow.id))
            .where(col(StatsSampleRow.space_id) == space_id)
            .order_by(col(StatsSampleRow.taken_at), col(StatsSampleRow.id))
        )
        dropped = to_thin([i for i in ids if i is not None])
        if dropped:
            await self._session.execute(delete(StatsSampleRow).where(col(StatsSampleRow.id).in_(dropped)))
        return len(dropped)

    async def add_talk(self, space_id: str, talk_ms: Mapping[int, int]) -> None:
        for user_id, ms in talk_ms.items():
            row = await self._session.get(TalkTimeRow, (space_id, user_id))
            if row is None:
                self._session.add(TalkTimeRow(space_id=space_id, user_id=user_id, ms=ms))
            else:
                row.ms += ms
        await self._session.flush()

    async def talk(self, space_id: str) -> dict[int, int]:
        rows = await self._session.execute(
            select(col(TalkTimeRow.user_id), col(TalkTimeRow.ms)).where(col(TalkTimeRow.space_id) == space_id)
        )
        return {user_id: ms for user_id, ms in rows}

    async def hand_raised(self, space_id: str, user_id: int, at: datetime) -> None:
        self._session.add(HandWaitRow(space_id=space_id, user_id=user_id, raised_at=at))
        await self._session.flush()

    async def hand_lowered(self, space_id: str, user_id: int, at: datetime, outcome: str) -> None:
        await self._session.execute(
            update(HandWaitRow)
            .where(
                col(HandWaitRow.space_id) == space_id,
                col(HandWaitRow.user_id) == user_id,
                col(HandWaitRow.lowered_at).is_(None),
            )
            .values(lowered_at=at, outcome=outcome)
        )

    async def waits(self, space_id: str) -> list[HandWait]:
        rows = await self._session.scalars(
            select(HandWaitRow).where(col(HandWaitRow.space_id) == space_id).order_by(col(HandWaitRow.raised_at))
        )
        return [
            HandWait(r.user_id, _aware(r.raised_at), _aware(r.lowered_at) if r.lowered_at else None, r.outcome)
            for r in rows
        ]

    async def delete_member(self, user_id: int) -> None:
        await self._session.execute(delete(TalkTimeRow).where(col(TalkTimeRow.user_id) == user_id))
        await self._session.execute(delete(HandWaitRow).where(col(HandWaitRow.user_id) == user_id))

    async def spaces_of(self, guild_id: int, user_id: int | None, limit: int) -> list[Space]:
        rows = await self._session.scalars(
            select(SpaceRow)
            .where(col(SpaceRow.guild_id) == guild_id, col(SpaceRow.started_at).is_not(None))
            .order_by(col(SpaceRow.started_at).desc())
            .limit(SCAN_LIMIT)
        )
        spaces = [space_from_row(row) for row in rows]
        mine = [s for s in spaces if user_id is None or user_id in (s.host_id, s.original_host_id, *s.cohosts)]
        return mine[:limit]
