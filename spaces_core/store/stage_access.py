"""The SQL side of `StageAccessRepository`: one row per Stage whose doors a ticketed Space has closed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from spaces_core.ports import StageConnect
from spaces_core.store.tables import StageAccessRow

__all__ = ["SqlStageAccessRepository"]


class SqlStageAccessRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, channel_id: int, connect: StageConnect, now: datetime) -> None:
        # JSON keys are strings: the role ids go in as text and come back as ints in `recall`.
        stored = {str(role_id): value for role_id, value in connect.items()}
        await self._session.merge(StageAccessRow(channel_id=channel_id, connect=stored, saved_at=now))
        await self._session.flush()

    async def recall(self, channel_id: int) -> StageConnect | None:
        row = await self._session.get(StageAccessRow, channel_id)
        return None if row is None else {int(role_id): value for role_id, value in row.connect.items()}

    async def forget(self, channel_id: int) -> None:
        await self._session.execute(delete(StageAccessRow).where(col(StageAccessRow.channel_id) == channel_id))
