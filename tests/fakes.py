"""In-memory implementations of the ports, for service tests.

The fake database is transactional in the way that matters to services: a unit of work edits a private copy
and only `commit()` makes it visible, so "error → nothing saved" is a real outcome, not a given.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from spaces_core.domain.errors import ConcurrentUpdate, Conflict
from spaces_core.domain.events import DomainEvent
from spaces_core.domain.rules import GuildPolicy, MemberPrefs
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space, SpaceState
from spaces_core.domain.transcripts import Phrase, TranscriptHit, matched_spans

__all__ = ["FakeClock", "FakeDatabase", "FakePublisher", "FakeUnitOfWork"]


class FakeClock:
    def __init__(self, start: datetime = datetime(2025, 5, 1, 18, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[tuple[Space, list[DomainEvent]]] = []

    async def publish(self, space: Space, events: Sequence[DomainEvent]) -> None:
        self.published.append((copy.deepcopy(space), list(events)))

    @property
    def events(self) -> list[DomainEvent]:
        return [event for _, batch in self.published for event in batch]

    def of(self, kind: type[DomainEvent]) -> list[DomainEvent]:
        return [event for event in self.events if isinstance(event, kind)]


@dataclass
class FakeDatabase:
    spaces: dict[str, Space] = field(default_factory=dict)
    follows: set[tuple[int, int]] = field(default_factory=set)
    policies: dict[int, GuildPolicy] = field(default_factory=dict)
    prefs: dict[int, MemberPrefs] = field(default_factory=dict)
    blocks: set[tuple[int, int]] = field(default_factory=set)
    cards: list[tuple[str, int, int]] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    schedules: dict[str, ScheduledSpace] = field(default_factory=dict)
    wishes: set[tuple[str, int, str]] = field(default_factory=set)
    deliveries: set[tuple[str, int, str]] = field(default_factory=set)
    commits: int = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class _Spaces:
    def __init__(self, data: FakeDatabase, committed: FakeDatabase) -> None:
        self._data, self._committed = data, committed
        self.touched: set[str] = set()

    def _live(self) -> list[Space]:
        return [copy.deepcopy(s) for s in self._data.spaces.values() if s.state is SpaceState.LIVE]

    async def add(self, space: Space) -> None:
        if any(s.guild_id == space.guild_id and s.channel_id == space.channel_id for s in self._live()):
            raise Conflict("Another Space went live on this Stage at the same moment.")
        self._data.spaces[space.id] = copy.deepcopy(space)
        self.touched.add(space.id)

    async def get(self, space_id: str, *, for_update: bool = False) -> Space | None:
        space = self._data.spaces.get(space_id)
        return copy.deepcopy(space) if space else None

    async def live_in_channel(self, guild_id: int, channel_id: int, *, for_update: bool = False) -> Space | None:
        found = [s for s in self._live() if (s.guild_id, s.channel_id) == (guild_id, channel_id)]
        return found[0] if found else None

    async def live_of_host(self, host_id: int) -> Space | None:
        found = [s for s in self._live() if s.host_id == host_id]
        return found[0] if found else None

    async def live_in_guild(self, guild_id: int) -> list[Space]:
        return [s for s in self._live() if s.guild_id == guild_id]

    async def all_live(self) -> list[Space]:
        return self._live()

    async def latest_recorded_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        found = [
            s for s in self._data.spaces.values() if s.recorded and (s.guild_id, s.channel_id) == (guild_id, channel_id)
        ]
        return copy.deepcopy(max(found, key=lambda s: (s.created_at, s.id))) if found else None

    async def latest_in_channel(self, guild_id: int, channel_id: int) -> Space | None:
        found = [s for s in self._data.spaces.values() if (s.guild_id, s.channel_id) == (guild_id, channel_id)]
        return copy.deepcopy(max(found, key=lambda s: (s.created_at, s.id))) if found else None

    async def save(self, space: Space) -> None:
        stored = self._committed.spaces.get(space.id)
        if stored is not None and stored.version != space.version:
            raise ConcurrentUpdate("Someone else changed this Space at the same moment; try again.")
        space.version += 1
        self._data.spaces[space.id] = copy.deepcopy(space)
        self.touched.add(space.id)


class _Follows:
    def __init__(self, data: FakeDatabase) -> None:
        self._data = data

    async def add(self, follower_id: int, host_id: int) -> None:
        self._data.follows.add((follower_id, host_id))

    async def remove(self, follower_id: int, host_id: int) -> bool:
        found = (follower_id, host_id) in self._data.follows
        self._data.follows.discard((follower_id, host_id))
        return found

    async def exists(self, follower_id: int, host_id: int) -> bool:
        return (follower_id, host_id) in self._data.follows

    async def following(self, follower_id: int) -> list[int]:
        return sorted(h for f, h in self._data.follows if f == follower_id)

    async def followers(self, host_id: int) -> list[int]:
        return sorted(f for f, h in self._data.follows if h == host_id)

    async def follower_count(self, host_id: int) -> int:
        return len(await self.followers(host_id))

    async def followers_to_notify(self, host_id: int) -> list[int]:
        prefs = self._data.prefs
        return [f for f in await self.followers(host_id) if prefs.get(f, MemberPrefs(f)).live_dms]

    async def delete_member(self, user_id: int) -> None:
        self._data.follows = {pair for pair in self._data.follows if user_id not in pair}


class _Policies:
    def __init__(self, data: FakeDatabase) -> None:
        self._data = data

    async def get(self, guild_id: int) -> GuildPolicy:
        return self._data.policies.get(guild_id, GuildPolicy(guild_id=guild_id))

    async def save(self, policy: GuildPolicy) -> None:
        self._data.policies[policy.guild_id] = policy


class _Prefs:
    def __init__(self, data: FakeDatabase) -> None:
        self._data = data

    async def get(self, user_id: int) -> MemberPrefs:
        return self._data.prefs.get(user_id, MemberPrefs(user_id=user_id))

    async def save(self, prefs: MemberPrefs) -> None:
        self._data.prefs[prefs.user_id] = prefs

    async def delete(self, user_id: int) -> None:
        self._data.prefs.pop(user_id, None)


class _Schedules:
    """Last writer wins here (the SQL store's version check is tested against SQLite and PostgreSQL)."""

    def __init__(self, data: FakeDatabase) -> None:
        self._data = data

    async def add(self, schedule: ScheduledSpace) -> None:
        self._data.schedules[schedule.id] = copy.deepcopy(schedule)

    async def get(self, schedule_id: str) -> ScheduledSpace | None:
        return copy.deepcopy(self._data.schedules.get(schedule_id))

    async def by_event(self, event_id: int) -> ScheduledSpace | None:
        return next((copy.deepcopy(s) for s in self._data.schedules.values() if s.event_id == event_id), None)

    async def by_live_space(self, space_id: str) -> ScheduledSpace | None:
        found = (s for s in self._data.schedules.values() if s.live_space_id == space_id)
        return copy.deepcopy(next(found, None))

    def _upcoming(self, keep: Callable[[ScheduledSpace], bool]) -> list[ScheduledSpace]:
        found = [s for s in self._data.schedules.values() if s.is_upcoming and keep(s)]
        return [copy.deepcopy(s) for s in sorted(found, key=lambda s: (s.starts_at, s.id))]

    async def upcoming_in_guild(self, guild_id: int) -> list[ScheduledSpace]:
        return self._upcoming(lambda s: s.guild_id == guild_id)

    async def upcoming_of_host(self, host_id: int) -> list[ScheduledSpace]:
        return self._upcoming(lambda s: s.host_id == host_id)

    async def count_upcoming_of_host(self, host_id: int) -> int:
        return len(self._upcoming(lambda s: s.host_id == host_id))

    async def all_upcoming(self) -> list[ScheduledSpace]:
        return self._upcoming(lambda s: True)

    async def save(self, schedule: ScheduledSpace) -> None:
        schedule.version += 1
        self._data.schedules[schedule.id] = copy.deepcopy(schedule)

    async def set_wish(self, schedule_id: str, user_id: int, source: str, on: bool) -> bool:
        key = (schedule_id, user_id, source)
        if on == (key in self._data.wishes):
            return False
        (self._data.wishes.add if on else self._data.wishes.discard)(key)
        return True

    async def has_wish(self, schedule_id: str, user_id: int, source: str) -> bool:
        return (schedule_id, user_id, source) in self._data.wishes

    async def wishers(self, schedule_id: str) -> list[int]:
        return sorted({u for sid, u, _ in self._data.wishes if sid == schedule_id})

    async def claim(self, schedule_id: str, revision: int, job_key: str, now: datetime) -> bool:
        key = (schedule_id, revision, job_key)
        if key in self._data.deliveries:
            return False
        self._data.deliveries.add(key)
        return True

    async def forget_member(self, user_id: int) -> None:
        self._data.wishes = {w for w in self._data.wishes if w[1] != user_id}


class _Blocks:
    def __init__(self, data: FakeDatabase) -> None:
        self._data = data

    async def block(self, host_id: int, user_id: int) -> None:
        self._data.blocks.add((host_id, user_id))

    async def is_blocked(self, host_id: int, user_id: int) -> bool:
        return (host_id, user_id) in self._data.blocks

    async def unblock(self, host_id: int, user_id: int) -> None:
        self._data.blocks.discard((host_id, user_id))

    async def blocked_by(self, host_id: int) -> list[int]:
        return sorted(user for host, user in self._data.blocks if host == host_id)

    async def delete_by_host(self, host_id: int) -> None:
        self._data.blocks = {pair for pair in self._data.blocks if pair[0] != host_id}


class _Cards:
    def __init__(self, data: FakeDatabase) -> None:
        self._data = data

    async def save_card(self, space_id: str, channel_id: int, message_id: int) -> None:
        self._data.cards.append((space_id, channel_id, message_id))

    async def cards(self, space_id: str) -> list[tuple[int, int]]:
        return [(c, m) for s, c, m in self._data.cards if s == space_id]


class _Transcripts:
    """The SQL repository's contract, by brute force: a hit holds every word, the last as a prefix."""

    def __init__(self, data: FakeDatabase) -> None:
        self._data = data

    async def add(self, phrases: Sequence[Phrase]) -> None:
        self._data.phrases.extend(phrases)

    async def of_space(self, space_id: str) -> list[Phrase]:
        return sorted((p for p in self._data.phrases if p.space_id == space_id), key=lambda p: p.start)

    async def search(self, guild_id: int, query: str, limit: int = 10) -> list[TranscriptHit]:
        words = len(query.split())
        hits = [
            (self._data.spaces[p.space_id], p)
            for p in self._data.phrases
            if p.space_id in self._data.spaces
            and self._data.spaces[p.space_id].guild_id == guild_id
            and words
            and len(matched_spans(p.text, query)) >= words
        ]
        hits.sort(key=lambda sp: (-sp[0].created_at.timestamp(), sp[0].id, sp[1].start))
        return [TranscriptHit(p.space_id, p.speaker_id, p.start, p.text) for _, p in hits[: max(0, min(limit, 50))]]

    async def delete_space(self, space_id: str) -> None:
        self._data.phrases = [p for p in self._data.phrases if p.space_id != space_id]

    async def delete_member(self, user_id: int) -> None:
        self._data.phrases = [p for p in self._data.phrases if p.speaker_id != user_id]

    async def transcribed_spaces(self, guild_id: int, limit: int = 25) -> list[str]:
        said = {p.space_id for p in self._data.phrases}
        found = [s for s in self._data.spaces.values() if s.id in said and s.guild_id == guild_id]
        found.sort(key=lambda s: (-s.created_at.timestamp(), s.id))
        return [s.id for s in found[: max(0, min(limit, 50))]]

    async def delete_ended_before(self, cutoff: datetime) -> int:
        spaces = self._data.spaces
        old = {i for i, s in spaces.items() if s.ended_at is not None and s.ended_at < cutoff}
        kept = [p for p in self._data.phrases if p.space_id not in old]
        gone, self._data.phrases = len(self._data.phrases) - len(kept), kept
        return gone


class _Stats:
    """The fake store keeps no host analytics (the SQL repository is tested on both stores): `/privacy delete`
    finds nothing of the member's here."""

    async def delete_member(self, user_id: int) -> None:
        return None


class FakeUnitOfWork:
    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._copy = copy.deepcopy(database)
        self.spaces = _Spaces(self._copy, database)
        self.follows = _Follows(self._copy)
        self.policies = _Policies(self._copy)
        self.prefs = _Prefs(self._copy)
        self.blocks = _Blocks(self._copy)
        self.cards = _Cards(self._copy)
        self.schedules = _Schedules(self._copy)
        self.transcripts = _Transcripts(self._copy)
        self.stats = _Stats()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        # Spaces merge row by row (another unit of work may have committed other Spaces meanwhile).
        for space_id in self.spaces.touched:
            stored = self._database.spaces.get(space_id)
            mine = self._copy.spaces[space_id]
            if stored is not None and stored.version >= mine.version:
                raise ConcurrentUpdate("Someone else changed this Space at the same moment; try again.")
            self._database.spaces[space_id] = copy.deepcopy(mine)
        for name in ("follows", "policies", "prefs", "blocks", "cards", "schedules", "wishes", "deliveries", "phrases"):
            setattr(self._database, name, copy.deepcopy(getattr(self._copy, name)))
        self._database.commits += 1

    async def rollback(self) -> None:
        """Uncommitted changes live only in the private copy, which is simply dropped."""
