"""SQL repository of scheduled Spaces, their audience (Remind me, Discord "Interested") and the delivery ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from spaces_core.domain.errors import ConcurrentUpdate
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState
from spaces_core.store.tables import AudienceRow, DeliveryRow, ScheduledSpaceRow

__all__ = ["SqlScheduleRepository"]

_UPCOMING = ScheduleState.UPCOMING.value


def _values(s: ScheduledSpace) -> dict[str, Any]:
    return {
        "id": s.id,
        "guild_id": s.guild_id,
        "channel_id": s.channel_id,
        "host_id": s.host_id,
        "title": s.title,
        "topics": list(s.topics),
        "starts_at": s.starts_at,
        "created_at": s.created_at,
        "state": s.state.value,
        "reminder_offsets": list(s.reminder_offsets),
        "grace_seconds": s.grace_seconds,
        "host_alert_seconds": s.host_alert_seconds,
        "revision": s.revision,
        "event_id": s.event_id,
        "live_space_id": s.live_space_id,
    }


def _from_row(row: ScheduledSpaceRow) -> ScheduledSpace:
    def aware(moment: datetime) -> datetime:  # SQLite hands back naive datetimes; every one stored is UTC
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    return ScheduledSpace(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        host_id=row.host_id,
        title=row.title,
        topics=tuple(row.topics),
        starts_at=aware(row.starts_at),
        created_at=aware(row.created_at),
        state=ScheduleState(row.state),
        reminder_offsets=tuple(int(o) for o in row.reminder_offsets),
        grace_seconds=row.grace_seconds,
        host_alert_seconds=row.host_alert_seconds,
        revision=row.revision,
        event_id=row.event_id,
        live_space_id=row.live_space_id,
        version=row.version,
    )


class SqlScheduleRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def add(self, schedule: ScheduledSpace) -> None:
        self._session.add(ScheduledSpaceRow(**_values(schedule), version=schedule.version))
        await self._session.flush()

    async def get(self, schedule_id: str) -> ScheduledSpace | None:
        found = await self._many(col(ScheduledSpaceRow.id) == schedule_id)
        return found[0] if found else None

    async def by_event(self, event_id: int) -> ScheduledSpace | None:
        found = await self._many(col(ScheduledSpaceRow.event_id) == event_id)
        return found[0] if found else None

    async def by_live_space(self, space_id: str) -> ScheduledSpace | None:
        found = await self._many(col(ScheduledSpaceRow.live_space_id) == space_id)
        return found[0] if found else None

    async def upcoming_in_guild(self, guild_id: int) -> list[ScheduledSpace]:
        return await self._many(col(ScheduledSpaceRow.guild_id) == guild_id, col(ScheduledSpaceRow.state) == _UPCOMING)

    async def upcoming_of_host(self, host_id: int) -> list[ScheduledSpace]:
        return await self._many(col(ScheduledSpaceRow.host_id) == host_id, col(ScheduledSpaceRow.state) == _UPCOMING)

    async def count_upcoming_of_host(self, host_id: int) -> int:
        statement = select(func.count()).where(
            col(ScheduledSpaceRow.host_id) == host_id, col(ScheduledSpaceRow.state) == _UPCOMING
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def all_upcoming(self) -> list[ScheduledSpace]:
        return await self._many(col(ScheduledSpaceRow.state) == _UPCOMING)

    async def save(self, schedule: ScheduledSpace) -> None:
        statement = (
            update(ScheduledSpaceRow)
            .where(col(ScheduledSpaceRow.id) == schedule.id, col(ScheduledSpaceRow.version) == schedule.version)
            .values(**_values(schedule), version=schedule.version + 1)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[tuple[()]], await self._session.execute(statement))
        if result.rowcount != 1:
            raise ConcurrentUpdate("Someone else changed this Space at the same moment; try again.")
        schedule.version += 1

    async def set_wish(self, schedule_id: str, user_id: int, source: str, on: bool) -> bool:
        """Add or remove one reason to remind `user_id`; False when nothing changed."""
        key = (schedule_id, user_id, source)
        row = await self._session.get(AudienceRow, key)
        if on and row is None:
            self._session.add(AudienceRow(schedule_id=schedule_id, user_id=user_id, source=source))
            await self._session.flush()
            return True
        if not on and row is not None:
            await self._session.delete(row)
            await self._session.flush()
            return True
        return False

    async def has_wish(self, schedule_id: str, user_id: int, source: str) -> bool:
        return await self._session.get(AudienceRow, (schedule_id, user_id, source)) is not None

    async def wishers(self, schedule_id: str) -> list[int]:
        statement = select(col(AudienceRow.user_id)).where(col(AudienceRow.schedule_id) == schedule_id).distinct()
        return sorted(int(u) for u in (await self._session.execute(statement)).scalars())

    async def claim(self, schedule_id: str, revision: int, job_key: str, now: datetime) -> bool:
        """Record that this job ran. The primary key makes the second claimant (a double fire, a standby that
        took over mid-run) fail, so it sends nothing. Claim in a unit of work of its own and commit before acting
        on True: after a refused claim the transaction can only be rolled back."""
        self._session.add(DeliveryRow(schedule_id=schedule_id, revision=revision, job_key=job_key, ran_at=now))
        try:
            await self._session.flush()
        except IntegrityError:
            return False
        return True

    async def forget_member(self, user_id: int) -> None:
        await self._session.execute(delete(AudienceRow).where(col(AudienceRow.user_id) == user_id))

    async def _many(self, *conditions: object) -> list[ScheduledSpace]:
        statement = (
            select(ScheduledSpaceRow)
            .where(*conditions)  # type: ignore[arg-type]
            .order_by(col(ScheduledSpaceRow.starts_at), col(ScheduledSpaceRow.id))
            .execution_options(populate_existing=True)
        )
        return [_from_row(row) for row in (await self._session.execute(statement)).scalars()]
