"""Alembic environment for the Spaces store (async drivers: aiosqlite, asyncpg)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from spaces_core.store.database import DEFAULT_URL, VERSION_TABLE, async_url
from spaces_core.store.tables import metadata

config = context.config
url: str = config.attributes.get("url") or async_url(os.environ.get("DATABASE_URL") or DEFAULT_URL)
connect_args: dict[str, Any] = config.attributes.get("connect_args") or {}
MIGRATION_LOCK_KEY = 0x5350_4143_4553 + 3  # beside the scheduler's keys (spaces_core.scheduling.LOCK_KEY)


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, version_table=VERSION_TABLE, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite can only ALTER tables by copying them; batch mode does that for later revisions.
    context.configure(
        connection=connection, target_metadata=metadata, version_table=VERSION_TABLE, render_as_batch=True
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Bot processes started together (shards, a deploy) would each create the tables: the first migrates,
            # the others wait here, then find the schema at head. Held until this transaction commits.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())  # migrate() calls us from a worker thread, which has no running loop
