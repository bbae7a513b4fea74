"""The outbox of ticket actions (`ticket_actions`): added in the caller's transaction, claimed with a lease,
removed when done or postponed after a failure. A claim is one conditional UPDATE, so two runners (the worker and
a reconciliation, or two processes on PostgreSQL) never carry out the same action at the same time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from spaces_core.domain.tickets import ActionKind, TicketAction
from spaces_core.store.tables import TicketActionRow

__all__ = ["SqlTicketActionRepository"]

_actions = cast(Table, TicketActionRow.__table__)  # type: ignore[attr-defined]


def _action(row: Any) -> TicketAction:
    due = row.due_at if row.due_at.tzinfo is not None else row.due_at.replace(tzinfo=UTC)
    return TicketAction(row.id, ActionKind(row.kind), row.subject, due, row.attempts)


class SqlTicketActionRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, actions: Sequence[TicketAction], now: datetime, *, claimed_until: datetime | None = None
    ) -> None:
        if not actions:
            return
        rows: list[dict[str, object]] = [
            {
                "id": a.id,
                "kind": a.kind.value,
                "subject": a.subject,
                "created_at": now,
                "due_at": a.due_at,
                "attempts": a.attempts,
                "claimed_until": claimed_until,
            }
            for a in actions
        ]
        await self._session.execute(_actions.insert(), rows)

    async def due(self, now: datetime, *, ids: Sequence[str] | None = None, limit: int = 100) -> list[TicketAction]:
        """Unclaimed (or with an expired lease) actions due by `now`, oldest first; only `ids` when given."""
        statement = select(_actions).where(or_(_actions.c.claimed_until.is_(None), _actions.c.claimed_until < now))
        if ids is not None:
            statement = statement.where(_actions.c.id.in_(list(ids)))
        else:
            statement = statement.where(_actions.c.due_at <= now)
        statement = statement.order_by(_actions.c.created_at, _actions.c.id).limit(limit)
        return [_action(row) for row in (await self._session.execute(statement))]

    async def claim(self, action_id: str, now: datetime, until: datetime) -> bool:
        statement = (
            update(_actions)
            .where(_actions.c.id == action_id)
            .where(or_(_actions.c.claimed_until.is_(None), _actions.c.claimed_until < now))
            .values(claimed_until=until, attempts=_actions.c.attempts + 1)
        )
        result = cast(CursorResult[Any], await self._session.execute(statement))
        return result.rowcount == 1

    async def done(self, action_id: str) -> None:
        await self._session.execute(delete(_actions).where(_actions.c.id == action_id))

    async def postpone(self, action_id: str, due_at: datetime) -> None:
        statement = update(_actions).where(_actions.c.id == action_id).values(due_at=due_at, claimed_until=None)
        await self._session.execute(statement)

    async def subjects(self, kind: ActionKind) -> set[str]:
        """What actions of this kind are owed for (claimed or not)."""
        rows = await self._session.execute(select(_actions.c.subject).where(_actions.c.kind == kind.value))
        return {str(subject) for subject in rows.scalars()}

    async def pending(self) -> int:
        """How many actions are still owed (for tests and the log)."""
        rows = await self._session.execute(select(_actions.c.id))
        return len(rows.all())
