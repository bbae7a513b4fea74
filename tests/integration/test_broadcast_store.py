"""A Space's broadcast switch in the store (SQLite, and PostgreSQL when it answers): saved and read back, and
migration 0012 goes down and up again."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from alembic import command

from spaces_core.domain.broadcast import set_broadcast
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.store.database import alembic_config, migrate

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
HOST = 2**62 + 1


async def test_broadcast_is_saved_and_read_back(uows: UnitOfWorkFactory) -> None:
    space, _ = Space.open(space_id="b1", guild_id=7, channel_id=8, host_id=HOST, title="AMA", topics="", now=T0)
    async with uows() as uow:
        await uow.spaces.add(space)
        await uow.commit()
    async with uows() as uow:
        loaded = await uow.spaces.get("b1")
        assert loaded is not None and not loaded.broadcast
        set_broadcast(loaded, Actor(HOST), True)
        await uow.spaces.save(loaded)
        await uow.commit()
    async with uows() as uow:
        again = await uow.spaces.get("b1")
        assert again is not None and again.broadcast


async def test_migration_0012_goes_down_and_up_again(tmp_path: Path) -> None:
    path = tmp_path / "spaces.db"
    url = f"sqlite+aiosqlite:///{path}"

    def columns() -> set[str]:
        with sqlite3.connect(path) as db:
            return {row[1] for row in db.execute("PRAGMA table_info(spaces)")}

    await migrate(url)
    assert "broadcast" in columns()
    config = alembic_config(url)
    await asyncio.to_thread(command.downgrade, config, "0011")
    assert "broadcast" not in columns() and "captions" in columns()
    await asyncio.to_thread(command.upgrade, config, "head")
    assert "broadcast" in columns()
