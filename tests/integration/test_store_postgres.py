"""The store on the machine's PostgreSQL (production's database): snowflakes, real row locks, real races.

Each test gets its own schema, so runs never see each other's rows or another component's tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pg_support import pg_uow_factory
from test_store_scenarios import (
    BIG,
    Recorder,
    Ticking,
    check_concurrent_saves,
    check_one_live_space_per_stage,
    check_optimistic_conflict,
    check_queries,
    check_round_trip,
    check_side_tables,
)

from spaces_core.domain.roles import Actor
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.spaces import SpaceService

pytestmark = pytest.mark.postgres


@pytest.fixture
async def uow_factory() -> AsyncIterator[UnitOfWorkFactory]:
    async with pg_uow_factory() as factory:
        yield factory


async def test_round_trip_with_snowflakes_beyond_2_53(uow_factory: UnitOfWorkFactory) -> None:
    saved = await check_round_trip(uow_factory)
    assert saved.guild_id == BIG and BIG + 20 in saved.speakers
    await check_side_tables(uow_factory, saved.id)


async def test_stale_save_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    saved = await check_round_trip(uow_factory)
    await check_optimistic_conflict(uow_factory, saved.id)


async def test_two_concurrent_saves_one_conflict(uow_factory: UnitOfWorkFactory) -> None:
    saved = await check_round_trip(uow_factory)
    await check_concurrent_saves(uow_factory, saved.id)


async def test_live_queries_and_one_live_space_per_stage(uow_factory: UnitOfWorkFactory) -> None:
    await check_one_live_space_per_stage(uow_factory)
    await check_queries(uow_factory)


async def test_concurrent_members_all_get_in_line(uow_factory: UnitOfWorkFactory) -> None:
    """Twenty hands raised at once: the service's retry turns every lost race into a success."""
    service = SpaceService(uow_factory, Ticking(), Recorder())
    space = await service.start_space(guild_id=BIG, channel_id=BIG, actor=Actor(BIG), title="Busy", topics=[])
    members = [BIG + n for n in range(1, 21)]
    for member in members:
        await service.member_joined(BIG, BIG, member)
    results = await asyncio.gather(*(service.request_to_speak(space.id, m) for m in members), return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    stored = await service.get(space.id)
    assert sorted(stored.queue) == members


async def test_concurrent_starts_on_one_stage(uow_factory: UnitOfWorkFactory) -> None:
    service = SpaceService(uow_factory, Ticking(), Recorder())
    starts = [
        service.start_space(guild_id=1, channel_id=2, actor=Actor(host), title="Race", topics=[])
        for host in (BIG + 1, BIG + 2, BIG + 3)
    ]
    results = await asyncio.gather(*starts, return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert len(await service.all_live()) == 1


async def test_a_writer_holding_the_space_makes_the_next_one_wait(uow_factory: UnitOfWorkFactory) -> None:
    """`for_update`: the second writer reads only after the first commits, so it sees the new version."""
    saved = await check_round_trip(uow_factory)
    first_has_it, second_read = asyncio.Event(), asyncio.Event()
    versions: list[int] = []

    async def first() -> None:
        async with uow_factory() as uow:
            space = await uow.spaces.get(saved.id, for_update=True)
            assert space is not None
            first_has_it.set()
            await asyncio.sleep(0.3)
            assert not second_read.is_set(), "the second writer read the row while the first held it"
            space.title = "First"
            await uow.spaces.save(space)
            await uow.commit()

    async def second() -> None:
        await first_has_it.wait()
        async with uow_factory() as uow:
            space = await uow.spaces.get(saved.id, for_update=True)
            second_read.set()
            assert space is not None
            versions.append(space.version)
            space.title = "Second"
            await uow.spaces.save(space)  # no ConcurrentUpdate: it read the committed version
            await uow.commit()

    await asyncio.gather(first(), second())
    stored = await SpaceService(uow_factory, Ticking(), Recorder()).get(saved.id)
    assert stored.title == "Second" and versions == [saved.version + 1]
