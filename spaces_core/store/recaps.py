"""The SQL side of `RecapRepository`: one row per ended Space whose recap is owed (no message yet) or posted."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from spaces_core.store.tables import RecapRow

__all__ = ["SqlRecapRepository"]


class SqlRecapRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def owe(self, space_id: str, web_peak: int) -> bool:
        if await self._session.get(RecapRow, space_id) is not None:
            return False
        self._session.add(RecapRow(space_id=space_id, web_peak=web_peak, message_id=None))
        await self._session.flush()
        return True

    async def posted(self, space_id: str, message_id: int) -> None:
        await self._session.execute(
            update(RecapRow).where(col(RecapRow.space_id) == space_id).values(message_id=message_id)
        )

    async def owed(self) -> list[tuple[str, int]]:
        rows = await self._session.execute(
            select(col(RecapRow.space_id), col(RecapRow.web_peak))
            .where(col(RecapRow.message_id).is_(None))
            .order_by(col(RecapRow.space_id))
        )
        return [(space_id, web_peak) for space_id, web_peak in rows]

    async def forget(self, space_id: str) -> None:
        await self._session.execute(delete(RecapRow).where(col(RecapRow.space_id) == space_id))

    async def web_peak(self, space_id: str) -> int | None:
        row = await self._session.get(RecapRow, space_id)
        return row.web_peak if row is not None else None
