"""Protocols the adapters implement (store, clock, the bus as services see it, payments). Services depend on
these only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from types import TracebackType
from typing import Protocol, Self

from spaces_core.domain.events import DomainEvent
from spaces_core.domain.rules import GuildPolicy, MemberPrefs
from spaces_core.domain.schedule import Job, ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.domain.transcripts import Phrase, TranscriptHit
from spaces_core.ports_stats import StatsRepository
from spaces_core.ports_tickets import (
    PayoutRepository,
    StageAccessRepository,
    StageConnect,
    TicketActionRepository,
    TicketPayments,
    TicketRepository,
)

__all__ = [
    "BlockRepository",
    "CardRepository",
    "Clock",
    "FollowRepository",
    "JobPlanner",
    "PayoutRepository",
    "PolicyRepository",
    "PrefsRepository",
    "Publish",
    "RecapRepository",
    "ScheduleRepository",
    "SpaceRepository",
    "StageAccessRepository",
    "StageConnect",
    "StatsRepository",
    "TicketActionRepository",
    "TicketPayments",
    "TicketRepository",
    "TranscriptRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WhenReader",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class WhenReader(Protocol):
    def read(self, text: str, *, now: datetime, zone: tzinfo) -> datetime:
        """The start time a member typed, read in their zone: an aware UTC datetime, or `InvalidInput` saying
        what works. Schedule rules (past, horizon) are not its business."""
        ...


class SpaceRepository(Protocol):
    async def add(self, space: Space) -> None:
        """Raise Conflict if another live Space holds the same Stage (a race the service check can't see)."""
        ...

    async def get(self, space_id: str, *, for_update: bool = False) -> Space | None:
        """`for_update`: hold the row until the transaction ends (a writer about to change it), so racers on
        PostgreSQL wait their turn instead of losing the compare-and-set. Only a way to wait: `save`'s version
        check is what keeps a change from being lost (docs/CONCURRENCY.md)."""
        ...

    async def live_in_channel(self, guild_id: int, channel_id: int, *, for_update: bool = False) -> Space | None: ...
    async def live_of_host(self, host_id: int) -> Space | None: ...
    async def live_in_guild(self, guild_id: int) -> list[Space]: ...
    async def all_live(self) -> list[Space]: ...

    async def latest_recorded_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        """The most recently started Space on this Stage that was ever recorded, live or ended."""
        ...

    async def latest_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        """The most recently started Space on this Stage, live or ended."""
        ...

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

    async def blocked_by(self, host_id: int) -> list[int]:
        """The members on a host's block list (for the unblock picker)."""
        ...

    async def delete_by_host(self, host_id: int) -> None:
        """A host's own block list, for /privacy delete (blocks *of* a member are kept: safety data)."""
        ...


class CardRepository(Protocol):
    async def save_card(self, space_id: str, channel_id: int, message_id: int) -> None: ...
    async def cards(self, space_id: str) -> list[tuple[int, int]]: ...


class ScheduleRepository(Protocol):
    async def add(self, schedule: ScheduledSpace) -> None: ...
    async def get(self, schedule_id: str) -> ScheduledSpace | None: ...
    async def by_event(self, event_id: int) -> ScheduledSpace | None: ...
    async def by_live_space(self, space_id: str) -> ScheduledSpace | None: ...
    async def upcoming_in_guild(self, guild_id: int) -> list[ScheduledSpace]: ...
    async def upcoming_of_host(self, host_id: int) -> list[ScheduledSpace]: ...
    async def count_upcoming_of_host(self, host_id: int) -> int: ...
    async def all_upcoming(self) -> list[ScheduledSpace]: ...

    async def save(self, schedule: ScheduledSpace) -> None:
        """Compare-and-set on `version`, as for Spaces; raise ConcurrentUpdate when someone saved first."""
        ...

    async def set_wish(self, schedule_id: str, user_id: int, source: str, on: bool) -> bool: ...
    async def has_wish(self, schedule_id: str, user_id: int, source: str) -> bool: ...
    async def wishers(self, schedule_id: str) -> list[int]: ...

    async def claim(self, schedule_id: str, revision: int, job_key: str, now: datetime) -> bool:
        """True for the first claimant of this job only (see the SQL implementation)."""
        ...

    async def forget_member(self, user_id: int) -> None: ...


class TranscriptRepository(Protocol):
    """Spaces' transcripts, searchable by what was said (full-text, in one guild's Spaces)."""

    async def add(self, phrases: Sequence[Phrase]) -> None: ...
    async def of_space(self, space_id: str) -> list[Phrase]:
        """In the order they were said."""
        ...

    async def search(self, guild_id: int, query: str, limit: int = 10) -> list[TranscriptHit]:
        """Phrases holding every word a member typed (the last as a prefix), newest Spaces first; any text is a
        valid query (quotes and operators are plain words), one with no words finds nothing."""
        ...

    async def delete_space(self, space_id: str) -> None: ...
    async def delete_member(self, user_id: int) -> None: ...
    async def transcribed_spaces(self, guild_id: int, limit: int = 25) -> list[str]:
        """The ids of this guild's Spaces that have a transcript, newest first (at most 50)."""
        ...

    async def delete_ended_before(self, cutoff: datetime) -> int:
        """Delete the transcripts of Spaces that ended before `cutoff`; how many phrases went."""
        ...


class RecapRepository(Protocol):
    """The recaps owed: a row per ended Space from its end until its recap is posted (or given up)."""

    async def owe(self, space_id: str, web_peak: int) -> bool:
        """Owe the Space's recap, with the web listeners' peak it ended with; False if it was owed or posted."""
        ...

    async def posted(self, space_id: str, message_id: int) -> None: ...
    async def owed(self) -> list[tuple[str, int]]:
        """(space id, web peak) of each recap owed and not posted."""
        ...

    async def forget(self, space_id: str) -> None: ...
    async def web_peak(self, space_id: str) -> int | None:
        """The web listeners' peak the Space ended with, while its row is kept (None once forgotten)."""
        ...


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
    @property
    def schedules(self) -> ScheduleRepository: ...
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def payouts(self) -> PayoutRepository: ...
    @property
    def ticket_actions(self) -> TicketActionRepository: ...
    @property
    def stage_access(self) -> StageAccessRepository: ...
    @property
    def transcripts(self) -> TranscriptRepository: ...
    @property
    def recaps(self) -> RecapRepository: ...
    @property
    def stats(self) -> StatsRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Publish(Protocol):
    """What a service that changes a Space needs of the message bus (`spaces_core.bus.MessageBus`): hand it the
    committed events with the Space as saved."""

    async def publish(self, space: Space, events: Sequence[DomainEvent], /) -> None: ...


class JobPlanner(Protocol):
    """The persistent scheduler (apscheduler in production). Jobs are keyed by Space, revision and job key."""

    async def plan(self, schedule_id: str, revision: int, jobs: Sequence[Job]) -> None: ...

    async def unplan(self, schedule_id: str, revision: int, keys: Sequence[str]) -> None:
        """Drop the jobs of one revision; a stale one left behind (a crash in between) is ignored when it fires."""
        ...
