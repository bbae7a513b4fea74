"""Sharding's settings and arithmetic: which shard holds a guild, and SHARD_COUNT / SHARD_IDS read and refused."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from spaces_core.domain.roles import Actor
from spaces_core.domain.shards import ShardPlan, shard_of
from spaces_core.services.spaces import SpaceService
from tests.fakes import FakeClock, FakeDatabase, FakePublisher

PG = "postgresql://spaces@db/spaces"
BASE = {"DISCORD_TOKEN": "t", "DATABASE_URL": PG}


def test_a_guild_belongs_to_its_snowflake_time_modulo_the_count() -> None:
    guild = 81384788765712384  # Discord's documented example guild id
    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 2) == (guild >> 22) % 2
    assert [shard_of((n << 22) | 12345, 3) for n in range(6)] == [0, 1, 2, 0, 1, 2]


def test_a_plan_owns_its_shards_guilds_only() -> None:
    plan = ShardPlan(3, (0, 2))
    assert [plan.owns(n << 22) for n in range(3)] == [True, False, True]
    assert not plan.holds_all and ShardPlan.every(3).holds_all and ShardPlan().holds_all


@pytest.mark.parametrize(
    ("count", "ids", "words"),
    [(2, (2,), "outside 0..1"), (2, (0, 0), "twice"), (2, (), "at least one"), (0, (0,), "from 1")],
)
def test_a_plan_refuses_impossible_shards(count: int, ids: tuple[int, ...], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        ShardPlan(count, ids)


def test_settings_default_to_one_shard_holding_everything() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "t"})
    assert (settings.shard_count, settings.shard_ids) == (1, (0,))
    assert settings.shards.holds_all


def test_settings_read_the_count_and_this_process_ids() -> None:
    settings = Settings.from_env({**BASE, "SHARD_COUNT": "4", "SHARD_IDS": "3, 1"})
    assert (settings.shard_count, settings.shard_ids) == (4, (3, 1))
    assert Settings.from_env({**BASE, "SHARD_COUNT": "2"}).shard_ids == (0, 1)  # no ids: all of them


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "SHARD_IDS '2' with SHARD_COUNT 2: shard ids [2] are outside 0..1"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,x"}, "SHARD_IDS must be shard numbers"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "name a shard twice"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be a whole number from 1"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number"),
        ({"SHARD_IDS": "1"}, "outside 0..0"),
    ],
)
def test_settings_refuse_bad_shards_naming_them(env: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**BASE, **env})
    assert words in str(refused.value)


def test_sharding_on_sqlite_is_refused_saying_it_needs_postgresql() -> None:
    with pytest.raises(SettingsError, match="SHARD_COUNT above 1 needs PostgreSQL"):
        Settings.from_env({"DISCORD_TOKEN": "t", "SHARD_COUNT": "2", "SHARD_IDS": "0"})
    assert Settings.from_env({"DISCORD_TOKEN": "t", "SHARD_COUNT": "1"}).shard_count == 1


async def test_a_process_resumes_and_hands_over_only_its_own_guilds_spaces() -> None:
    """Two processes on one database: each one's loops (audio resumption, sampling, co-host takeovers) see the
    live Spaces of its shard's guilds only, so each Space is taken over once, by its owner."""
    db, clock = FakeDatabase(), FakeClock()
    ids = iter(f"space{n}" for n in range(1, 100))
    plans = {shard: ShardPlan(2, (shard,)) for shard in (0, 1)}
    guilds = {shard: (10 + shard) << 22 for shard in (0, 1)}  # one guild per shard
    services = {
        shard: SpaceService(db.uow, clock, FakePublisher(), id_factory=lambda: next(ids), ours=plans[shard].owns)
        for shard in (0, 1)
    }
    for shard, guild in guilds.items():
        host = Actor(100 + shard)
        await services[shard].start_space(guild_id=guild, channel_id=5, actor=host, title="Jam", topics="")
        await services[shard].member_left(guild, 5, host.user_id)  # the host left: a takeover falls due
    clock.advance(3600)

    assert [s.guild_id for s in await services[0].all_live()] == [guilds[0]]
    assert [s.guild_id for s in await services[1].all_live()] == [guilds[1]]
    assert [s.guild_id for s in await services[0].run_due_successions()] == [guilds[0]]
    assert [s.guild_id for s in await services[1].run_due_successions()] == [guilds[1]]
