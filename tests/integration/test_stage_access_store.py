"""What a Stage's Connect overwrites were before a ticketed Space closed it, on SQLite and PostgreSQL: kept across
units of work (a restart), replaced when the doors close again, gone once forgotten; Discord's 64-bit role ids
and the three values (allow, deny, inherit) come back exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tickets_support import STORES, store

from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.stage_access import StageAccessMemory
from tests.fakes import FakeClock

STAGE = 1_574_872_490_587_586_568  # beyond 2**53: a float anywhere on the way would change it
EVERYONE, MODERATORS, BOTS = STAGE - 7, 2**63 - 1, 1_574_872_490_587_586_570


@pytest.fixture(params=STORES)
async def memory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StageAccessMemory]:
    async with store(request.param, tmp_path) as factory:
        yield StageAccessMemory(factory, FakeClock(datetime(2026, 11, 24, 20, 0, tzinfo=UTC)))


async def test_a_stages_connect_values_come_back_exactly_until_forgotten(memory: StageAccessMemory) -> None:
    assert await memory.recall(STAGE) is None
    await memory.remember(STAGE, {EVERYONE: False, MODERATORS: True, BOTS: None})
    assert await memory.recall(STAGE) == {EVERYONE: False, MODERATORS: True, BOTS: None}
    assert await memory.recall(STAGE + 1) is None  # another Stage has no record

    await memory.remember(STAGE, {EVERYONE: None})  # the doors close again later: the new values replace the old
    assert await memory.recall(STAGE) == {EVERYONE: None}

    await memory.forget(STAGE)
    assert await memory.recall(STAGE) is None
    await memory.forget(STAGE)  # twice is harmless


async def test_nothing_is_kept_from_a_unit_of_work_that_did_not_commit(memory: StageAccessMemory) -> None:
    uows: UnitOfWorkFactory = memory._uow_factory  # the same store, one level down
    async with uows() as uow:
        await uow.stage_access.remember(STAGE, {EVERYONE: False}, datetime(2026, 11, 24, tzinfo=UTC))
    assert await memory.recall(STAGE) is None
