"""The one way services change a Space: load in a unit of work, ask the domain, save, commit, then publish."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import datetime

from spaces_core.domain.errors import ConcurrentUpdate, NotFound
from spaces_core.domain.events import DomainEvent
from spaces_core.domain.space import Space
from spaces_core.ports import Clock, Publish, UnitOfWork, UnitOfWorkFactory

__all__ = ["ATTEMPTS", "Change", "Load", "SpaceChanger", "by_id"]

# Two writers on one Space (a click and a voice update in the same instant) are normal on a busy Stage.
# Retrying after a short random pause spreads the racers out; measured on PostgreSQL with twenty members
# raising their hand in the same instant, this makes a lost race invisible without looping forever.
ATTEMPTS = 6
_BACKOFF_SECONDS = 0.01

Load = Callable[[UnitOfWork], Awaitable[Space | None]]
Change = Callable[[Space, UnitOfWork, datetime], Awaitable[list[DomainEvent]]]


def by_id(space_id: str) -> Load:
    async def load(uow: UnitOfWork) -> Space | None:
        space = await uow.spaces.get(space_id, for_update=True)
        if space is None:
            raise NotFound("That Space doesn't exist any more.")
        return space

    return load


class SpaceChanger:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, bus: Publish) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._bus = bus

    async def run(self, load: Load, change: Change) -> Space | None:
        """Apply `change` to the Space `load` finds (None: nothing to do). Events are published only after
        the commit, so adapters never announce something the database then forgets."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                result = await self._once(load, change)
            except ConcurrentUpdate:
                if attempt == ATTEMPTS:
                    raise
                # Jitter, not a fixed pause: racers that waited the same time would collide again.
                await asyncio.sleep(random.uniform(0, _BACKOFF_SECONDS * 2**attempt))
                continue
            if result is None:
                return None
            space, events = result
            if events:
                await self._bus.publish(space, events)
            return space
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, load: Load, change: Change) -> tuple[Space, list[DomainEvent]] | None:
        async with self._uow_factory() as uow:
            space = await load(uow)
            if space is None:
                return None
            events = await change(space, uow, self._clock.now())
            if events:  # no event means no change: skip the write for repeated voice updates
                await uow.spaces.save(space)
                await uow.commit()
            return space, events
