"""The SQL unit of work: one AsyncSession, one transaction, the repositories bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from spaces_core.store.payouts import SqlPayoutRepository
from spaces_core.store.recaps import SqlRecapRepository
from spaces_core.store.repositories import (
    SqlBlockRepository,
    SqlCardRepository,
    SqlFollowRepository,
    SqlPolicyRepository,
    SqlPrefsRepository,
    SqlSpaceRepository,
)
from spaces_core.store.schedules import SqlScheduleRepository
from spaces_core.store.stage_access import SqlStageAccessRepository
from spaces_core.store.stats import SqlStatsRepository
from spaces_core.store.ticket_actions import SqlTicketActionRepository
from spaces_core.store.tickets import SqlTicketRepository
from spaces_core.store.transcripts import SqlTranscriptRepository

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._session = self._session_factory()
        self.spaces = SqlSpaceRepository(session=session)
        self.follows = SqlFollowRepository(session=session)
        self.policies = SqlPolicyRepository(session=session)
        self.prefs = SqlPrefsRepository(session=session)
        self.blocks = SqlBlockRepository(session=session)
        self.cards = SqlCardRepository(session=session)
        self.schedules = SqlScheduleRepository(session=session)
        self.tickets = SqlTicketRepository(session=session)
        self.payouts = SqlPayoutRepository(session=session)
        self.ticket_actions = SqlTicketActionRepository(session=session)
        self.stage_access = SqlStageAccessRepository(session=session)
        self.transcripts = SqlTranscriptRepository(session=session)
        self.recaps = SqlRecapRepository(session=session)
        self.stats = SqlStatsRepository(session=session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.rollback()  # no-op after commit(); drops anything uncommitted otherwise
        finally:
            await session.close()

    async def commit(self) -> None:
        await self._active().commit()

    async def rollback(self) -> None:
        await self._active().rollback()

    def _active(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("Use the unit of work inside `async with`.")
        return self._session
