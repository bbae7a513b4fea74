"""A Space ended: the scheduled Space it was opened from is over, and its Discord event completes.

A rule of scheduling, not of live Spaces: a Space opened with `/space start` has no schedule, and the live side
never needs to know scheduled ones exist.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from spaces_core.bus import MessageBus
from spaces_core.domain.errors import SpacesError
from spaces_core.domain.events import SpaceEnded
from spaces_core.domain.space import Space

__all__ = ["SpaceEndedPort", "complete_schedule", "register"]

log = logging.getLogger(__name__)


# The schedule service's `space_ended`: if the live Space came from a schedule, that one ends (committed) and is
# announced so; False if it did not.
SpaceEndedPort = Callable[[str], Awaitable[bool]]


def complete_schedule(space_ended: SpaceEndedPort) -> Callable[[Space, SpaceEnded], Awaitable[None]]:
    async def handle(space: Space, event: SpaceEnded) -> None:
        try:
            await space_ended(space.id)
        except SpacesError as exc:  # a lost race or a vanished schedule: the Space has ended either way
            log.warning("scheduled Space of live Space %s not completed: %s", space.id, exc)

    return handle


def register(bus: MessageBus, space_ended: SpaceEndedPort) -> None:
    bus.subscribe(SpaceEnded, complete_schedule(space_ended), name="scheduled Space completes")
