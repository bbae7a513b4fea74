"""Host payouts through Stripe Connect: an Express account per host, onboarding links, and readiness.

Once a host's account is ready, their tickets are destination charges to it (less the server's fee, see
`GuildPolicy.ticket_fee_bps`); until then, and for hosts who never set it up, the server's own Stripe account is
paid. Readiness is read from Stripe on `refresh` and kept current by `account.updated` events.
"""

from __future__ import annotations

from dataclasses import dataclass

from spaces_core.domain.tickets import PayoutAccount
from spaces_core.ports import TicketPayments, UnitOfWorkFactory

__all__ = ["PayoutService", "PayoutSetup"]


@dataclass(frozen=True, slots=True)
class PayoutSetup:
    account: PayoutAccount
    onboarding_url: str | None  # None when the account is ready: nothing left to fill in


class PayoutService:
    def __init__(self, uow_factory: UnitOfWorkFactory, payments: TicketPayments) -> None:
        self._uow_factory = uow_factory
        self._payments = payments

    async def setup(self, host_id: int) -> PayoutSetup:
        """`/payouts setup`: the host's account (created once: the idempotency key is the host id) and a fresh
        onboarding link (Stripe's links are single-use and short-lived, so one is made on every request)."""
        account = await self.refresh(host_id)
        if account is None:
            account_id = await self._payments.create_payout_account(host_id)
            account = PayoutAccount(host_id, account_id, ready=False)
            async with self._uow_factory() as uow:
                await uow.payouts.save(account)
                await uow.commit()
        if account.ready:
            return PayoutSetup(account, None)
        return PayoutSetup(account, await self._payments.payout_onboarding_link(account.account_id))

    async def refresh(self, host_id: int) -> PayoutAccount | None:
        """Read the account's readiness from Stripe and store it; None for a host without an account."""
        async with self._uow_factory() as uow:
            account = await uow.payouts.get(host_id)
        if account is None:
            return None
        ready = await self._payments.payout_account_ready(account.account_id)
        if ready != account.ready:
            account = PayoutAccount(host_id, account.account_id, ready)
            async with self._uow_factory() as uow:
                await uow.payouts.save(account)
                await uow.commit()
        return account

    async def account(self, host_id: int) -> PayoutAccount | None:
        async with self._uow_factory() as uow:
            return await uow.payouts.get(host_id)
