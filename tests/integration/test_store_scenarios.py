"""Store scenarios shared by the SQLite and PostgreSQL tests (this module itself holds no tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from spaces_core.domain import extras
from spaces_core.domain.errors import ConcurrentUpdate, Conflict
from spaces_core.domain.events import DomainEvent
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy, HostingRule, MemberPrefs
from spaces_core.domain.space import Space, SpaceState
from spaces_core.ports import UnitOfWorkFactory

__all__ = [
    "BIG",
    "Recorder",
    "Ticking",
    "busy_space",
    "check_concurrent_saves",
    "check_one_live_space_per_stage",
    "check_optimistic_conflict",
    "check_queries",
    "check_round_trip",
    "check_side_tables",
]

NOW = datetime(2025, 5, 1, 18, 0, tzinfo=UTC)
BIG = 2**62 + 12345  # a snowflake-sized id far beyond 2**53 (where a float or JS number would round it)


class Recorder:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def publish(self, space: Space, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)


class Ticking:
    def __init__(self) -> None:
        self.current = NOW

    def now(self) -> datetime:
        return self.current


def busy_space(space_id: str = "a" * 32, *, guild_id: int = BIG, channel_id: int = BIG + 1) -> Space:
    """A live Space with every collection filled and snowflake-sized ids."""
    host, cohost = BIG + 10, BIG + 11
    space, _ = Space.open(
        space_id=space_id,
        guild_id=guild_id,
        channel_id=channel_id,
        host_id=host,
        title="Ünïcode & friends 🎙️",
        topics="music, q&a",
        now=NOW,
        speaker_limit=3,
    )
    for user in range(BIG + 20, BIG + 27):
        space.join(user, NOW)
    space.join(cohost, NOW)
    host_actor = Actor(host)
    space.add_cohost(host_actor, cohost)
    space.invite(host_actor, BIG + 20)
    space.accept_invite(BIG + 20)
    space.mute(host_actor, BIG + 20)
    space.request_to_speak(BIG + 21)
    space.request_to_speak(BIG + 22)
    space.invite(host_actor, BIG + 23)
    space.remove(host_actor, BIG + 24)
    extras.pin_link(space, host_actor, "https://example.com/a?b=1")
    extras.react(space, BIG + 25, "🔥")
    extras.react(space, BIG + 25, "❤️")
    space.leave(host, NOW + timedelta(seconds=5))
    return space


async def check_round_trip(uow_factory: UnitOfWorkFactory) -> Space:
    space = busy_space()
    async with uow_factory() as uow:
        await uow.spaces.add(space)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.spaces.get(space.id)
        assert loaded == space
        assert loaded is not None and loaded.host_absent_since == NOW + timedelta(seconds=5)
        assert loaded.host_absent_since.tzinfo is not None
        loaded.approve_request(Actor(BIG + 11), BIG + 21)
        await uow.spaces.save(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        again = await uow.spaces.get(space.id)
    assert again == loaded and again is not None and again.version == 1
    return again


async def check_optimistic_conflict(uow_factory: UnitOfWorkFactory, space_id: str) -> None:
    async with uow_factory() as first, uow_factory() as second:
        mine = await first.spaces.get(space_id)
        theirs = await second.spaces.get(space_id)
        assert mine is not None and theirs is not None
        extras.react(mine, BIG + 25, "👏")
        await first.spaces.save(mine)
        await first.commit()
        extras.react(theirs, BIG + 25, "💯")
        with pytest.raises(ConcurrentUpdate, match="Someone else changed this Space at the same moment"):
            await second.spaces.save(theirs)
    async with uow_factory() as uow:
        stored = await uow.spaces.get(space_id)
    assert stored is not None and "👏" in stored.reactions and "💯" not in stored.reactions


async def check_concurrent_saves(uow_factory: UnitOfWorkFactory, space_id: str) -> None:
    """Two transactions race on one row for real: exactly one wins, the other is told."""
    async with uow_factory() as uow:
        base = await uow.spaces.get(space_id)
    assert base is not None

    async def write(emoji: str) -> str:
        async with uow_factory() as uow:
            space = await uow.spaces.get(space_id)
            assert space is not None and space.version == base.version
            extras.react(space, BIG + 25, emoji)
            try:
                await uow.spaces.save(space)
                await asyncio.sleep(0.05)  # hold the row lock so the other writer really waits on it
                await uow.commit()
            except ConcurrentUpdate:
                return "conflict"
            return "saved"

    outcomes = await asyncio.gather(write("👏"), write("😂"))
    assert sorted(outcomes) == ["conflict", "saved"]


async def check_one_live_space_per_stage(uow_factory: UnitOfWorkFactory) -> None:
    first = busy_space("b" * 32, channel_id=77)
    second = busy_space("c" * 32, channel_id=77)
    async with uow_factory() as uow:
        await uow.spaces.add(first)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(Conflict, match="Another Space went live on this Stage"):
            await uow.spaces.add(second)
    async with uow_factory() as uow:
        loaded = await uow.spaces.get(first.id)
        assert loaded is not None
        loaded.end(None, NOW, "host_ended")
        await uow.spaces.save(loaded)
        await uow.spaces.add(second)  # the Stage is free once the first Space ended
        await uow.commit()


async def check_queries(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        live = await uow.spaces.all_live()
        assert all(space.state is SpaceState.LIVE for space in live)
        [in_channel] = [s for s in live if s.channel_id == 77]
        assert await uow.spaces.live_in_channel(BIG, 77) == in_channel
        assert await uow.spaces.live_in_channel(BIG, 78) is None
        assert await uow.spaces.live_of_host(BIG + 10) is not None
        assert {s.id for s in await uow.spaces.live_in_guild(BIG)} == {s.id for s in live}
        assert await uow.spaces.live_in_guild(5) == []


async def check_side_tables(uow_factory: UnitOfWorkFactory, space_id: str) -> None:
    async with uow_factory() as uow:
        policy = GuildPolicy(
            guild_id=BIG,
            speaker_limit=4,
            feed_channel_id=BIG + 1,
            hosting_rule=HostingRule(min_followers=3, required_role_ids=frozenset({BIG + 2})),
        )
        await uow.policies.save(policy)
        await uow.policies.save(policy)  # saving twice updates, never duplicates
        await uow.follows.add(BIG + 1, BIG + 10)
        await uow.follows.add(BIG + 2, BIG + 10)
        await uow.prefs.save(MemberPrefs(BIG + 2, live_dms=False))
        await uow.blocks.block(BIG + 10, BIG + 3)
        await uow.blocks.block(BIG + 10, BIG + 3)
        await uow.cards.save_card(space_id, BIG + 1, BIG + 5)
        await uow.cards.save_card(space_id, BIG + 1, BIG + 6)  # re-posted card replaces the old reference
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.policies.get(BIG) == policy
        assert await uow.policies.get(1) == GuildPolicy(guild_id=1)
        assert await uow.follows.followers(BIG + 10) == [BIG + 1, BIG + 2]
        assert await uow.follows.followers_to_notify(BIG + 10) == [BIG + 1]
        assert await uow.follows.following(BIG + 1) == [BIG + 10]
        assert await uow.follows.follower_count(BIG + 10) == 2
        assert await uow.follows.exists(BIG + 1, BIG + 10)
        assert await uow.prefs.get(BIG + 2) == MemberPrefs(BIG + 2, live_dms=False)
        assert await uow.blocks.is_blocked(BIG + 10, BIG + 3)
        assert await uow.blocks.blocked_by(BIG + 10) == [BIG + 3]
        assert await uow.cards.cards(space_id) == [(BIG + 1, BIG + 6)]
        with pytest.raises(Conflict, match="You already follow"):
            await uow.follows.add(BIG + 1, BIG + 10)
    async with uow_factory() as uow:
        assert await uow.follows.remove(BIG + 1, BIG + 10)
        await uow.follows.delete_member(BIG + 2)
        await uow.prefs.delete(BIG + 2)
        await uow.blocks.unblock(BIG + 10, BIG + 3)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.follows.followers(BIG + 10) == []
        assert await uow.prefs.get(BIG + 2) == MemberPrefs(BIG + 2)
        assert not await uow.blocks.is_blocked(BIG + 10, BIG + 3)
        assert await uow.blocks.blocked_by(BIG + 10) == []
