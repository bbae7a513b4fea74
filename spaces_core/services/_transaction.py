"""The one way services change a Space: load in a unit of work, ask the domain, save, commit (all retried on a
lost race, see `concurrency`), then publish."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from spaces_core.domain.errors import NotFound
from spaces_core.domain.events import DomainEvent
from spaces_core.domain.space import Space
from spaces_core.ports import Clock, Publish, UnitOfWork, UnitOfWorkFactory
from spaces_core.services.concurrency import retrying

__all__ = ["Change", "Load", "SpaceChanger", "by_id"]

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
        # A Space is the hottest aggregate (a click and a voice update in the same instant are normal on a busy
        # Stage): `by_id` also takes the row lock, so PostgreSQL queues its writers (see `concurrency`).
        result = await retrying(lambda: self._once(load, change))
        if result is None:
            return None
        space, events = result
        if events:
            await self._bus.publish(space, events)
        return space

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
