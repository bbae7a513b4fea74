"""Reconciliation: what lost webhooks and crashes left behind, repaired from Stripe's own records.

1. Events of the handled types since the lookback that we never recorded go through `apply` (exactly once per
   event id, should a webhook bring one at the same moment): a lost webhook is applied late, once.
2. Checkout Sessions since the lookback are compared with our open orders: a paid session whose event we never
   saw grants the ticket (a process killed between Stripe's success and our grant), an expired one releases the
   seat, and an open one we never stored (a crash right after creating it) is recorded against its order.
3. Pending orders past their Checkout's expiry are closed: expired on Stripe (whose answer may be "paid at the
   last second", then granted) or, when no Checkout was ever made, expired here.
4. Refunds decided and not confirmed that the outbox does not owe already (a `pending` refund whose update was
   lost, one made on the dashboard) are asked again under the same idempotency key, or their status read again
   once Stripe gave us the refund's id.
5. Free seats go to the waitlist.
6. The outbox (Stripe calls owed by committed changes) is drained.
Every step is a conditional transition, so running this twice, or next to live webhooks, repairs nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from spaces_core.domain.errors import PaymentUnavailable
from spaces_core.domain.payment_events import CheckoutState, EventOutcome, PaymentEvent
from spaces_core.domain.tickets import ActionKind, Order, OrderState
from spaces_core.services.tickets.core import AfterCommit, TicketCore
from spaces_core.services.tickets.outbox import ActionRunner
from spaces_core.services.tickets.settlement import settle_checkout

__all__ = ["EXPIRY_GRACE", "Reconciler"]

log = logging.getLogger("spaces_core.tickets")

# Stripe sends checkout.session.expired at the expiry; leave it that long before we go and ask ourselves.
EXPIRY_GRACE = timedelta(minutes=2)
_SETTLEABLE = (OrderState.PENDING, OrderState.PROCESSING, OrderState.EXPIRED, OrderState.FAILED)


class Reconciler:
    def __init__(
        self, core: TicketCore, apply: Callable[[PaymentEvent], Awaitable[EventOutcome]], actions: ActionRunner
    ) -> None:
        self._core = core
        self._apply = apply
        self._actions = actions

    async def run(self, lookback: timedelta) -> int:
        now = self._core.clock.now()
        since = now - lookback
        repaired = 0
        try:
            events = await self._core.payments.recent_events(since)
            async with self._core.uow_factory() as uow:  # most were applied by their webhook: skip them cheaply
                known = await uow.tickets.known_events([e.id for e in events])
            for event in events:
                if event.id not in known:
                    repaired += await self._apply(event) is EventOutcome.APPLIED
            repaired += await self._sessions(since)
            repaired += await self._overdue(now - EXPIRY_GRACE)
        except PaymentUnavailable as error:
            log.warning("reconciliation could not reach Stripe; the rest runs next time: %s", error)
        repaired += await self._refunds()
        repaired += await self._waitlists()
        repaired += await self._actions.drain()
        if repaired:
            log.info("reconciliation repaired %d orders", repaired)
        return repaired

    async def _sessions(self, since: datetime) -> int:
        sessions = {s.order_id: s for s in await self._core.payments.recent_checkouts(since) if s.order_id}
        async with self._core.uow_factory() as uow:
            orders = await uow.tickets.orders(ids=list(sessions), states=_SETTLEABLE)
        repaired = 0
        for order in orders:
            state = sessions[order.id]
            if state.status == "open":
                unrecorded = order.state is OrderState.PENDING and order.checkout_session_id is None
                if unrecorded and state.mismatch(order) is None:
                    async with self._core.uow_factory() as uow:
                        await uow.tickets.set_checkout(order.id, state.session_id, _url(state))
                        await uow.commit()
                continue
            repaired += await self.settle(state)
        return repaired

    async def _overdue(self, before: datetime) -> int:
        async with self._core.uow_factory() as uow:
            overdue = await uow.tickets.orders(states=(OrderState.PENDING,), expiring_before=before)
        repaired = 0
        for order in overdue:
            repaired += await self.close_checkout(order)
        return repaired

    async def close_checkout(self, order: Order) -> bool:
        """Expire the order's Checkout on Stripe and apply the answer; with no Checkout, expire it here."""
        if order.checkout_session_id is None:
            effects = AfterCommit()
            async with self._core.uow_factory() as uow:
                expired = await uow.tickets.move(order, OrderState.EXPIRED)
                if expired is not None:
                    await effects.seat_released(uow, expired)
                await self._core.commit(uow, effects)
            await self._core.after(effects)
            return expired is not None
        try:
            state = await self._core.payments.expire_checkout(order.checkout_session_id)
        except PaymentUnavailable as error:
            log.warning("could not close checkout of order %s: %s", order.id, error)
            return False
        return await self.settle(state)

    async def settle(self, state: CheckoutState) -> bool:
        effects = AfterCommit()
        now = self._core.clock.now()
        async with self._core.uow_factory() as uow:
            outcome = await settle_checkout(self._core, uow, state, None, now, effects)
            await self._core.commit(uow, effects)
        await self._core.after(effects)
        return outcome is EventOutcome.APPLIED

    async def _refunds(self) -> int:
        async with self._core.uow_factory() as uow:
            # The outbox's own are not asked twice. Read first: an action finished after this read has moved its
            # order out of refund_due before the orders are read (the worker commits the order, then the removal).
            owed = await uow.ticket_actions.subjects(ActionKind.REFUND)
            due = await uow.tickets.orders(states=(OrderState.REFUND_DUE,))
        done = 0
        for order in (o for o in due if o.id not in owed):
            result = await self._core.refund_now(order)
            done += result is not None and result.status.final  # a refund still pending at Stripe is no repair
        return done

    async def _waitlists(self) -> int:
        async with self._core.uow_factory() as uow:
            schedule_ids = await uow.tickets.offers_with_waitlist()
        offered = 0
        for schedule_id in schedule_ids:
            offered += await self._core.promote(schedule_id)
        return offered


def _url(state: CheckoutState) -> str:
    return state.url or ""
