"""The engine on the machine's PostgreSQL: pooled connections the server closes are replaced, not failed on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from spaces_core.store.database import create_engine
from tests.missing import postgres

pytestmark = pytest.mark.postgres

URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    try:
        connection = await asyncpg.connect(URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:  # pragma: no cover - depends on the machine
        pytest.skip(postgres(error))
    yield connection
    await connection.close()


async def _backends(engine: AsyncEngine, count: int) -> set[int]:
    """Open `count` pooled connections at once (each held until all are open) and return their server pids."""
    opened = asyncio.Event()
    pids: set[int] = set()

    async def hold() -> None:
        async with engine.connect() as connection:
            pids.add(int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            if len(pids) == count:
                opened.set()
            await opened.wait()

    await asyncio.gather(*(hold() for _ in range(count)))
    return pids


async def test_connections_closed_by_the_server_are_replaced_at_checkout(admin: asyncpg.Connection) -> None:
    name = f"spaces_test_{uuid.uuid4().hex[:8]}"
    engine = create_engine(URL, connect_args={"server_settings": {"application_name": name}})
    try:
        before = await _backends(engine, 3)
        killed = await admin.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1",
            name,
        )
        assert killed == 3
        await asyncio.sleep(0.2)  # the event loop reads the server's goodbye on each pooled socket

        after = await _backends(engine, 3)  # would raise "connection is closed" on a dead pooled connection

        assert after.isdisjoint(before)
    finally:
        await engine.dispose()
