"""Broadcast: a Space whose web listeners all hear it over low-latency HLS, with no cap on their number.

Functions of the Space aggregate (its `broadcast` field lives on `Space`), like `spaces_core.domain.captions`.
Broadcasting trades a couple of seconds of delay for any audience size, which is the room's call: the host and
the co-hosts may switch it; speakers and listeners may not.
"""

from __future__ import annotations

from typing import Final

from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, NotAllowed
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space

__all__ = ["ONLY_HOSTS", "may_broadcast", "set_broadcast"]

ONLY_HOSTS: Final = "Only the host or a co-host can turn broadcast on or off."


def may_broadcast(space: Space, user_id: int) -> bool:
    return user_id == space.host_id or user_id in space.cohosts


def set_broadcast(space: Space, actor: Actor, on: bool) -> list[ev.DomainEvent]:
    space._ensure_live()
    if not may_broadcast(space, actor.user_id):
        raise NotAllowed(ONLY_HOSTS)
    if space.broadcast == on:
        raise Conflict("This Space is already broadcast." if on else "This Space is not broadcast.")
    space.broadcast = on
    return [ev.BroadcastChanged(space.id, actor.user_id, on)]
