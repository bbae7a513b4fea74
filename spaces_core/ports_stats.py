"""The store as host analytics needs it (`StatsRepository`); kept beside `spaces_core.ports`, which re-exports it,
so that module stays readable."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from spaces_core.domain.space import Space
from spaces_core.domain.stats import HandWait, StatsSample

__all__ = ["StatsRepository"]


class StatsRepository(Protocol):
    """A live Space's samples, its speakers' talk time and its raised hands' waits; deleted with the Space."""

    async def add_sample(self, space_id: str, sample: StatsSample) -> None: ...
    async def samples(self, space_id: str) -> list[StatsSample]:
        """Oldest first."""
        ...

    async def count_samples(self, space_id: str) -> int: ...
    async def thin_samples(self, space_id: str) -> int:
        """Drop every other stored sample (`spaces_core.domain.stats.to_thin`); how many went."""
        ...

    async def add_talk(self, space_id: str, talk_ms: Mapping[int, int]) -> None:
        """Add to each speaker's talk time (milliseconds)."""
        ...

    async def talk(self, space_id: str) -> dict[int, int]: ...
    async def hand_raised(self, space_id: str, user_id: int, at: datetime) -> None: ...
    async def hand_lowered(self, space_id: str, user_id: int, at: datetime, outcome: str) -> None:
        """Close that member's open wait, if any."""
        ...

    async def waits(self, space_id: str) -> list[HandWait]: ...
    async def delete_member(self, user_id: int) -> None:
        """/privacy delete: the member's talk time and hand waits in every Space (samples hold no member)."""
        ...

    async def spaces_of(self, guild_id: int, user_id: int | None, limit: int) -> list[Space]:
        """The guild's Spaces, newest first, that `user_id` hosted or co-hosted (any, for None)."""
        ...
