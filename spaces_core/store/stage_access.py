"""The SQL side of `StageAccessRepository`: one row per Stage whose doors a ticketed Space has closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from spaces_core.ports import StageConnect
from spaces_core.store.tables import StageAccessRow

__all__ = ["SqlStageAccessRepository"]

_table = cast(Table, StageAccessRow.__table__)  # type: ignore[attr-defined]


class SqlStageAccessRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session
        self._dialect = session.bind.dialect.name if session.bind is not None else "sqlite"

    async def remember(self, channel_id: int, connect: StageConnect, now: datetime) -> None:
        insert: Any = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        values = {"connect": {str(k): v for k, v in connect.items()}, "saved_at": now}
        statement = insert(_table).values(channel_id=channel_id, **values)
        await self._session.execute(statement.on_conflict_do_update(index_elements=[_table.c.channel_id], set_=values))

    async def recall(self, channel_id: int) -> StageConnect | None:
        statement = select(_table.c.connect).where(_table.c.channel_id == channel_id)
        stored: Mapping[str, bool | None] | None = (await self._session.execute(statement)).scalar()
        return None if stored is None else {int(k): v for k, v in stored.items()}

    async def forget(self, channel_id: int) -> None:
        await self._session.execute(delete(_table).where(_table.c.channel_id == channel_id))
