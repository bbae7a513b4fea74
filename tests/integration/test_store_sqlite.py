"""The store on SQLite, the embedded default: a temp file, migrated like the bot does it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_store_scenarios import (
    BIG,
    Recorder,
    Ticking,
    check_one_live_space_per_stage,
    check_optimistic_conflict,
    check_queries,
    check_round_trip,
    check_side_tables,
)

from spaces_core.domain.events import HandRaised
from spaces_core.domain.roles import Actor
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.spaces import SpaceService
from spaces_core.store.database import create_engine, make_uow_factory, migrate


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'nested' / 'spaces.db'}"  # plain sqlite:// as people paste it


@pytest.fixture
async def uow_factory(url: str) -> AsyncIterator[UnitOfWorkFactory]:
    await migrate(url)
    engine = create_engine(url)
    yield make_uow_factory(engine)
    await engine.dispose()


async def test_round_trip_and_restart(url: str, uow_factory: UnitOfWorkFactory) -> None:
    saved = await check_round_trip(uow_factory)
    await check_side_tables(uow_factory, saved.id)
    # A restart: migrations run again (nothing to do) and a new engine opens the same file.
    await migrate(url)
    engine = create_engine(url)
    try:
        async with make_uow_factory(engine)() as uow:
            assert await uow.spaces.get(saved.id) == saved
            assert await uow.spaces.live_of_host(BIG + 10) == saved
    finally:
        await engine.dispose()


async def test_optimistic_conflict(uow_factory: UnitOfWorkFactory) -> None:
    saved = await check_round_trip(uow_factory)
    await check_optimistic_conflict(uow_factory, saved.id)


async def test_live_queries_and_one_live_space_per_stage(uow_factory: UnitOfWorkFactory) -> None:
    await check_one_live_space_per_stage(uow_factory)
    await check_queries(uow_factory)


async def test_sqlite_pragmas(uow_factory: UnitOfWorkFactory, url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await engine.dispose()


async def test_service_over_sqlite(uow_factory: UnitOfWorkFactory) -> None:
    recorder = Recorder()
    service = SpaceService(uow_factory, Ticking(), recorder)
    space = await service.start_space(guild_id=1, channel_id=2, actor=Actor(3), title="Live", topics="a")
    await service.member_joined(1, 2, 4)
    await service.request_to_speak(space.id, 4)
    approved = await service.approve(space.id, Actor(3), 4)
    assert approved.speakers == [4] and (await service.get(space.id)).speakers == [4]
    assert HandRaised(space.id, 4, 1) in recorder.events
    await service.record_card(space.id, 9, 10)
    assert await service.cards(space.id) == [(9, 10)]
