"""How two writers of one aggregate are kept from losing each other's change: optimistic concurrency.

The scheme, the only one for aggregates (a live `Space`, a `ScheduledSpace`):

1. Every aggregate carries a `version`. `save` is a compare-and-set: `UPDATE … WHERE id = :id AND version = :read`
   and `version + 1`; when no row matched, someone saved since we read, and the repository raises the typed
   `ConcurrentUpdate` (nothing written; the transaction is rolled back by the unit of work).
2. A use case that saves an aggregate runs its whole unit of work through `retrying`: on `ConcurrentUpdate` it
   waits a short random time and runs again from the load, so the domain rules are checked against what the
   other writer committed. Effects outside the database (events, Discord, the scheduler) come after the commit,
   outside the retried part, so they happen once.

Why optimistic rather than row locks everywhere: it works the same on SQLite (no `SELECT … FOR UPDATE`) and
PostgreSQL, holds no lock while the domain decides, and a conflict is rare for most aggregates. Where one
aggregate is written by many members in the same instant (twenty hands raised on a busy Stage), a loader may
also ask for the row lock (`spaces.get(…, for_update=True)`): on PostgreSQL the writers then queue instead of
retrying; the version check stays, so the lock is a way to wait, never what makes the save safe.

Ticket orders and seats are not loaded and saved whole: each change is one guarded statement (`UPDATE … WHERE
state IN (…)`, `seats_taken = seats_taken + 1 WHERE seats_taken < quantity`) whose row count says whether it
happened. Those are compare-and-set too, on the fields that matter, so they need no retry: a guard that fails
means the fact was already applied or the seat is gone. See docs/CONCURRENCY.md.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from spaces_core.domain.errors import ConcurrentUpdate

__all__ = ["ATTEMPTS", "retrying"]

T = TypeVar("T")

# Measured on PostgreSQL with twenty members raising their hand in the same instant: six attempts with these
# pauses make a lost race invisible to members without looping forever on a row that keeps changing.
ATTEMPTS = 6
_BACKOFF_SECONDS = 0.01


async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` (a whole unit of work: load, decide, save, commit) again while it loses a race.

    After `ATTEMPTS` losses the `ConcurrentUpdate` reaches the caller, whose message asks the member to try
    again. Any other error (a rule the domain refused) is raised at once: a retry would refuse it again.
    """
    for tries in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except ConcurrentUpdate:
            if tries == ATTEMPTS:
                raise
            # Jitter, not a fixed pause: racers that waited the same time would collide again.
            await asyncio.sleep(random.uniform(0, _BACKOFF_SECONDS * 2**tries))
    raise AssertionError("unreachable")  # pragma: no cover
