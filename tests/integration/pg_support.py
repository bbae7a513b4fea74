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

__all__ = ["PG_URL", "PgSchema", "pg_schema", "pg_uow_factory"]

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


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
        await admin.execute(f'DROP SCHEMA "{name}" CASCADE')
        await admin.close()


@asynccontextmanager
async def pg_uow_factory() -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on a fresh schema of their own (``pg_schema``), their engine disposed after."""
    async with pg_schema() as schema:
        engine = create_engine(PG_URL, connect_args=schema.connect_args)
        try:
            yield make_uow_factory(engine)
        finally:
            await engine.dispose()
