"""Two bot processes on PostgreSQL: one holds the scheduler (advisory lock), the other stands by, stores jobs, and
takes over when the first dies. Each reminder goes out once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pg_support import PG_URL, pg_schema
from schedule_support import Announced, in_seconds, until, wire

from spaces_core.domain.roles import Actor
from spaces_core.store.database import create_engine, make_uow_factory

pytestmark = pytest.mark.postgres

HOST = Actor(1)


@pytest.fixture
async def pg() -> AsyncIterator[tuple[dict[str, object], int]]:
    async with pg_schema() as schema:
        # The lock is database-wide: a key per test schema keeps parallel runs from standing by for each other.
        yield schema.connect_args, int(uuid.uuid4().int % 2**62)


async def test_two_processes_send_each_reminder_once_and_the_standby_takes_over(pg):
    connect_args, lock_key = pg
    engines = [create_engine(PG_URL, connect_args=connect_args) for _ in range(2)]
    announced = Announced()
    first, second = (
        wire(
            make_uow_factory(e),
            PG_URL,
            name=f"pg-{n}",
            announced=announced,
            connect_args=connect_args,
            lock_key=lock_key,
        )
        for n, e in enumerate(engines)
    )
    try:
        await first.planner.start()
        await asyncio.wait_for(first.planner.active.wait(), 5)
        await second.planner.start()
        await asyncio.sleep(0.5)
        assert not second.planner.active.is_set()  # standing by
        early = await first.service.schedule(
            guild_id=9, channel_id=10, actor=HOST, title="Early", topics="", when=in_seconds(2.5)
        )
        late = await second.service.schedule(  # stored by the standby, run by the holder
            guild_id=9, channel_id=10, actor=HOST, title="Late", topics="", when=in_seconds(6)
        )
        await until(lambda: "remind:0" in announced.kinds(early.id))
        await first.planner.stop()  # the first process dies: its lock connection closes
        await asyncio.wait_for(second.planner.active.wait(), 5)
        await until(lambda: "missed" in announced.kinds(late.id), timeout=12)
        for schedule in (early, late):
            kinds = announced.kinds(schedule.id)
            assert kinds.count("remind:2") == 1 and kinds.count("remind:0") == 1, kinds
            assert kinds.count("missed") <= 1
    finally:
        await first.planner.stop()
        await second.planner.stop()
        for engine in engines:
            await engine.dispose()
