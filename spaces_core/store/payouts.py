"""The SQL repository of hosts' Stripe Connect accounts (where their ticket sales are paid)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from spaces_core.domain.tickets import PayoutAccount
from spaces_core.store.tables import PayoutAccountRow

__all__ = ["SqlPayoutRepository"]


class SqlPayoutRepository:
    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def get(self, host_id: int) -> PayoutAccount | None:
        row = await self._session.get(PayoutAccountRow, host_id, populate_existing=True)
        return PayoutAccount(row.host_id, row.account_id, row.ready) if row is not None else None

    async def by_account(self, account_id: str) -> PayoutAccount | None:
        statement = select(PayoutAccountRow).where(col(PayoutAccountRow.account_id) == account_id)
        row = (await self._session.execute(statement)).scalar()
        return PayoutAccount(row.host_id, row.account_id, row.ready) if row is not None else None

    async def save(self, account: PayoutAccount) -> None:
        await self._session.merge(
            PayoutAccountRow(host_id=account.host_id, account_id=account.account_id, ready=account.ready)
        )
        await self._session.flush()
