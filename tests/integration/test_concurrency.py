"""The concurrency scheme for aggregates (spaces_core/services/concurrency.py) on PostgreSQL and SQLite: two use
cases save the same ScheduledSpace at once; the loser's compare-and-set fails, its use case runs again, and both
changes land.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pg_support import pg_uow_factory

from spaces_core.clock import SystemClock
from spaces_core.domain.errors import ConcurrentUpdate
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.space import Space
from spaces_core.ports import UnitOfWork, UnitOfWorkFactory
from spaces_core.services.schedules import ScheduleService
from spaces_core.store.database import create_engine, make_uow_factory, migrate
from tests.announcer_fake import Announced
from tests.unit.schedule_support import FakePlanner

HOST = Actor(1)


class SavesMeet:
    """The real schedule repository, except that the first two saves wait for each other: both writers have
    read the same version before either writes, so the race is certain rather than left to timing."""

    def __init__(self) -> None:
        self.barrier = asyncio.Barrier(2)
        self.saves = 0
        self.lost = 0

    def wrap(self, repository: Any) -> Any:
        gate = self

        class Meeting:
            def __getattr__(self, name: str) -> Any:
                return getattr(repository, name)

            async def save(self, schedule: ScheduledSpace) -> None:
                gate.saves += 1
                if gate.saves <= 2:
                    await gate.barrier.wait()
                try:
                    await repository.save(schedule)
                except ConcurrentUpdate:
                    gate.lost += 1
                    raise

        return Meeting()


def racing(real: UnitOfWorkFactory, gate: SavesMeet) -> UnitOfWorkFactory:
    @asynccontextmanager
    async def factory() -> AsyncIterator[UnitOfWork]:
        async with real() as uow:
            uow.schedules = gate.wrap(uow.schedules)  # type: ignore[misc]
            yield uow

    return factory  # type: ignore[return-value]


async def _not_started(schedule: ScheduledSpace, actor: Actor) -> Space:
    raise AssertionError("not started in this test")


def _in(hours: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
async def uow_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    if request.param == "postgresql":
        async with pg_uow_factory() as factory:
            yield factory
        return
    url = f"sqlite+aiosqlite:///{tmp_path}/spaces.db"
    await migrate(url)
    engine = create_engine(url)
    try:
        yield make_uow_factory(engine)
    finally:
        await engine.dispose()


async def test_two_concurrent_saves_of_a_scheduled_space_one_retried_none_lost(uow_factory: UnitOfWorkFactory):
    plain = ScheduleService(uow_factory, SystemClock(), FakePlanner(), Announced().bus, _not_started)
    planned = await plain.schedule(guild_id=9, channel_id=10, actor=HOST, title="Race", topics="", when=_in(3))
    before = await plain.get(planned.id)
    gate = SavesMeet()
    service = ScheduleService(racing(uow_factory, gate), SystemClock(), FakePlanner(), Announced().bus, _not_started)

    moved, other = await asyncio.gather(
        service.reschedule(actor=HOST, when=_in(5), title="Race"),
        service.reschedule(actor=HOST, when=_in(7), title="Race"),
    )

    assert gate.lost == 1 and gate.saves == 3  # one compare-and-set lost, its use case ran again and saved
    stored = await plain.get(planned.id)
    assert stored.revision == before.revision + 2  # both moves applied: the second on top of the first
    assert stored.version == before.version + 2
    first, last = sorted((moved, other), key=lambda schedule: schedule.revision)
    assert (first.revision, last.revision) == (before.revision + 1, before.revision + 2)
    assert stored.starts_at == last.starts_at != first.starts_at  # the retried move is the one that stands
    assert stored.event_id == before.event_id  # the event id stored by `schedule` survives both
