"""Protocols the adapters implement (store, clock, publisher). Services depend only on these."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from spaces_core.domain.events import DomainEvent
from spaces_core.domain.rules import GuildPolicy, MemberPrefs
from spaces_core.domain.space import Space

__all__ = [
    "BlockRepository",
    "CardRepository",
    "Clock",
    "EventPublisher",
    "FollowRepository",
    "PolicyRepository",
    "PrefsRepository",
    "SpaceRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class SpaceRepository(Protocol):
    async def add(self, space: Space) -> None:
        """Raise Conflict if another live Space holds the same Stage (a race the service check can't see)."""
        ...

    async def get(self, space_id: str) -> Space | None: ...
    async def live_in_channel(self, guild_id: int, channel_id: int) -> Space | None: ...
    async def live_of_host(self, host_id: int) -> Space | None: ...
    async def live_in_guild(self, guild_id: int) -> list[Space]: ...
    async def all_live(self) -> list[Space]: ...

    async def save(self, space: Space) -> None:
        """Write if nobody saved since `space.version` was read, then bump it; else raise ConcurrentUpdate."""
        ...


class FollowRepository(Protocol):
    async def add(self, follower_id: int, host_id: int) -> None: ...
    async def remove(self, follower_id: int, host_id: int) -> bool: ...
    async def exists(self, follower_id: int, host_id: int) -> bool: ...
    async def following(self, follower_id: int) -> list[int]: ...
    async def followers(self, host_id: int) -> list[int]: ...
    async def follower_count(self, host_id: int) -> int: ...

    async def followers_to_notify(self, host_id: int) -> list[int]:
        """Followers who did not turn live DMs off (one query, so big hosts don't cost one per follower)."""
        ...

    async def delete_member(self, user_id: int) -> None:
        """Every follow by or of `user_id`."""
        ...


class PolicyRepository(Protocol):
    async def get(self, guild_id: int) -> GuildPolicy:
        """The saved policy, or the defaults for a server that never changed anything."""
        ...

    async def save(self, policy: GuildPolicy) -> None: ...


class PrefsRepository(Protocol):
    async def get(self, user_id: int) -> MemberPrefs: ...
    async def save(self, prefs: MemberPrefs) -> None: ...
    async def delete(self, user_id: int) -> None: ...


class BlockRepository(Protocol):
    async def block(self, host_id: int, user_id: int) -> None: ...
    async def is_blocked(self, host_id: int, user_id: int) -> bool: ...
    async def unblock(self, host_id: int, user_id: int) -> None: ...

    async def delete_by_host(self, host_id: int) -> None:
        """A host's own block list, for /privacy delete (blocks *of* a member are kept: safety data)."""
        ...


class CardRepository(Protocol):
    async def save_card(self, space_id: str, channel_id: int, message_id: int) -> None: ...
    async def cards(self, space_id: str) -> list[tuple[int, int]]: ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the `async with` block without `commit()` rolls back."""

    # Read-only properties so an implementation may hold its own concrete repository types.
    @property
    def spaces(self) -> SpaceRepository: ...
    @property
    def follows(self) -> FollowRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def prefs(self) -> PrefsRepository: ...
    @property
    def blocks(self) -> BlockRepository: ...
    @property
    def cards(self) -> CardRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class EventPublisher(Protocol):
    async def publish(self, space: Space, events: Sequence[DomainEvent]) -> None: ...
