"""A fresh, migrated schema per test on the machine's PostgreSQL (127.0.0.1:5432, database `test`), dropped after.

Tests select it through `connect_args` (search_path), so parallel runs and the tables of other tests never meet;
without a reachable server the test is skipped, not failed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from spaces_core.ports import UnitOfWorkFactory
from spaces_core.store.database import create_engine, make_uow_factory, migrate
from tests.missing import postgres

__all__ = ["PG_URL", "PgSchema", "drop_schema", "pg_schema", "pg_uow_factory"]

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Far longer than a drop takes on a busy machine; a lock held this long is a transaction nobody will end.
DROP_LOCK_TIMEOUT = "30s"


@dataclass(frozen=True)
class PgSchema:
    name: str
    connect_args: dict[str, Any]  # for create_engine/migrate: the schema first on the search_path
    admin: asyncpg.Connection  # outside the schema's engines: for what a test checks or prepares by hand


@asynccontextmanager
async def pg_schema() -> AsyncIterator[PgSchema]:
    name = f"spaces_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:  # pragma: no cover - depends on the machine
        pytest.skip(postgres(error))
    await admin.execute(f'CREATE SCHEMA "{name}"')
    connect_args: dict[str, Any] = {"server_settings": {"search_path": name}}
    try:
        await migrate(PG_URL, connect_args=connect_args)
        yield PgSchema(name, connect_args, admin)
    finally:
        try:
            await drop_schema(admin, name)
        finally:
            await admin.close()


async def drop_schema(admin: asyncpg.Connection, name: str, lock_timeout: str = DROP_LOCK_TIMEOUT) -> None:
    """Drop a test's schema, or fail after `lock_timeout` naming the sessions holding its tables (a
    transaction a test or a worker left open) instead of waiting on their locks until pytest-timeout."""
    try:
        async with admin.transaction():
            await admin.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
            await admin.execute(f'DROP SCHEMA "{name}" CASCADE')
    except asyncpg.LockNotAvailableError:
        holders = await admin.fetch(
            "SELECT DISTINCT a.pid, a.state, left(a.query, 120) AS last_query FROM pg_locks l"
            " JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_stat_activity a ON a.pid = l.pid WHERE n.nspname = $1 AND l.pid <> pg_backend_pid()",
            name,
        )
        raise AssertionError(
            f"schema {name} not dropped: its tables are still locked after {lock_timeout} by "
            f"{[dict(row) for row in holders]}"
        ) from None


@asynccontextmanager
async def pg_uow_factory() -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on a fresh schema of their own (``pg_schema``), their engine disposed after."""
    async with pg_schema() as schema:
        engine = create_engine(PG_URL, connect_args=schema.connect_args)
        try:
            yield make_uow_factory(engine)
        finally:
            await engine.dispose()
