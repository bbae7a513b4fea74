"""The ticket outbox carried out: the Stripe calls a committed change owes (refunds, waitlist Checkouts).

A change that owes a Stripe call writes a `TicketAction` in its own transaction (`TicketCore.commit`), so the
call is never lost: the Stripe webhook is answered as soon as its transaction commits, and the `ActionWorker`
makes the calls afterwards; a crash after the answer leaves the rows, which the worker drains again at start-up
and reconciliation drains too. An action is claimed for a lease before it runs (one runner at a time, even
across processes), removed when done, and postponed with a growing delay when Stripe can't be reached. Running
one twice is harmless: the idempotency keys come from the order (`checkout-<id>`, `Order.refund_key`). A runner
stopped mid-call releases its claim; one that dies keeps it until the lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from spaces_core.domain.tickets import ActionKind, TicketAction
from spaces_core.services.tickets.core import INLINE, LEASE, TicketCore

__all__ = ["ActionRunner", "ActionWorker"]

log = logging.getLogger("spaces_core.tickets")

_MAX_DELAY = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, ... up to 10 minutes between tries while Stripe refuses or can't be reached."""
    return min(_MAX_DELAY, timedelta(seconds=15 * 2 ** max(0, attempts - 1)))


class ActionRunner:
    def __init__(self, core: TicketCore) -> None:
        self._core = core

    async def drain(self) -> int:
        """Carry out every action due now, including those the actions themselves add (a refund that frees a seat
        adds a promotion, which adds a Checkout); the number carried out."""
        done = 0
        while True:
            async with self._core.uow_factory() as uow:
                due = await uow.ticket_actions.due(self._core.clock.now())
            ran = [action for action in due if await self._run(action)]
            done += len(ran)
            if not ran:
                return done

    @contextlib.asynccontextmanager
    async def inline(self) -> AsyncIterator[None]:
        """A member's or host's own request: the Stripe calls its transactions owe are written already claimed
        (so the worker leaves them alone) and made here, before the request answers, together with those they
        lead to (a refund that frees a seat, the waitlist Checkout that follows). If this process dies first,
        the claim's lease runs out and the worker makes them."""
        if INLINE.get() is not None:
            yield
            return
        owed: list[TicketAction] = []
        token = INLINE.set(owed)
        try:
            yield
        finally:
            try:
                while owed:
                    await self._finish(owed.pop(0))
            finally:
                INLINE.reset(token)

    async def pending(self) -> int:
        async with self._core.uow_factory() as uow:
            return await uow.ticket_actions.pending()

    async def _run(self, action: TicketAction) -> bool:
        """Claim and carry out one action; False when another runner holds it or it failed (postponed)."""
        now = self._core.clock.now()
        async with self._core.uow_factory() as uow:
            claimed = await uow.ticket_actions.claim(action.id, now, now + LEASE)
            await uow.commit()
        if not claimed:
            return False
        return await self._finish(action)

    async def _finish(self, action: TicketAction) -> bool:
        """Carry out a claimed action, then remove it, or release it for a later try."""
        try:
            carried_out = await self._carry_out(action)
        except asyncio.CancelledError:  # stopped mid-call: free it now (the key makes a repeat harmless)
            await asyncio.shield(self._release(action.id))
            raise
        except Exception:
            log.exception("ticket action %s (%s %s) failed; retried later", action.id, action.kind, action.subject)
            carried_out = False
        async with self._core.uow_factory() as uow:
            if carried_out:
                await uow.ticket_actions.done(action.id)
            else:
                delay = retry_delay(action.attempts + 1)
                await uow.ticket_actions.postpone(action.id, self._core.clock.now() + delay)
            await uow.commit()
        return carried_out

    async def _release(self, action_id: str) -> None:
        async with self._core.uow_factory() as uow:
            await uow.ticket_actions.postpone(action_id, self._core.clock.now())
            await uow.commit()

    async def _carry_out(self, action: TicketAction) -> bool:
        if action.kind is ActionKind.REFUND:
            return await self._core.refund_order(action.subject)
        if action.kind is ActionKind.PROMOTE:
            await self._core.promote(action.subject)
            return True
        return await self._core.checkout_for_waiting(action.subject)


class ActionWorker:
    """Owns the task that drains the outbox: at start, whenever woken (a transaction added actions), and every
    `interval` for postponed ones. `stop()` cancels it and waits for it to end.

    The pause uses `asyncio.timeout`, never `asyncio.wait_for`: on Python 3.11, a `wait_for` whose awaitable has
    just finished (the worker woken: `Event.wait()` done) returns its result when the task is cancelled in that
    instant, swallowing the cancel; the loop then ran on and `stop()` awaited it forever (tests hung in teardown).
    The `_stopping` flag (with a wake-up) ends the loop at its next turn even if a library swallows a cancel too."""

    def __init__(self, runner: ActionRunner, *, interval: float = 15.0) -> None:
        self._runner = runner
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._idle = asyncio.Event()  # set while it waits with nothing it was woken for left to do

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._wake, self._idle = asyncio.Event(), asyncio.Event()
            self._stopping = False
            # A fresh context: started from inside a request's `inline()`, it must not make that request's calls.
            self._task = asyncio.create_task(self._loop(), name="ticket-actions", context=contextvars.Context())

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def idle(self) -> None:
        """Wait until the worker has drained and pauses with no wake-up pending (tests wait for this)."""
        await self._idle.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self._runner.drain()
            except Exception:  # the database is down: the next pass tries again
                log.exception("draining the ticket outbox failed; retrying")
            if not self._wake.is_set():
                self._idle.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._wake.wait()
            self._idle.clear()
