"""Engine, migrations and the unit-of-work factory: what the composition root calls, in this order:

await migrate(url); engine = create_engine(url); uow_factory = make_uow_factory(engine)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from spaces_core.ports import UnitOfWork, UnitOfWorkFactory
from spaces_core.store.uow import SqlUnitOfWork

__all__ = ["DEFAULT_URL", "VERSION_TABLE", "async_url", "create_engine", "make_uow_factory", "migrate"]

DEFAULT_URL = "sqlite+aiosqlite:///data/spaces.db"
# Our own Alembic version table, so Spaces can share a PostgreSQL database with other migrated components.
VERSION_TABLE = "spaces_alembic_version"
_HERE = Path(__file__).resolve().parent


def async_url(url: str) -> str:
    """Accept the URLs people paste (postgresql://, postgres://, sqlite://) and pick the async drivers."""
    parsed = make_url(url)
    driver = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
    if parsed.drivername in driver:
        parsed = parsed.set(drivername=driver[parsed.drivername])
    return parsed.render_as_string(hide_password=False)


def _prepare_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str = DEFAULT_URL, *, connect_args: Mapping[str, Any] | None = None) -> AsyncEngine:
    """`connect_args` go to the driver (e.g. asyncpg `server_settings` to pick a schema in tests)."""
    url = async_url(url)
    _prepare_sqlite_file(url)
    engine = create_async_engine(url, connect_args=dict(connect_args or {}))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if engine.dialect.driver == "asyncpg":
        event.listen(engine.sync_engine, "checkout", _drop_if_closed)
    return engine


def _drop_if_closed(_dbapi: Any, entry: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
    """A pooled connection the server has closed (a restart, pg_terminate_backend, an idle timeout) is replaced
    at checkout, so the next unit of work does not fail on it. asyncpg has already seen the close on the event
    loop, so this costs no round trip. `pool_pre_ping` did the same with three (BEGIN, a ping, ROLLBACK: ~0.2 ms
    of CPU on every checkout, 7 % of a webhook's cost; see docs/BENCHMARKS.md). A close asyncpg has not seen yet
    (the very moment of a restart) fails that one unit of work instead: SQLAlchemy then replaces every pooled
    connection, and a webhook answers 500, so Stripe delivers it again."""
    driver = entry.driver_connection
    if driver is not None and driver.is_closed():
        raise exc.DisconnectionError("the database server closed this connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web server read while the bot writes; busy_timeout waits out a writer instead of failing
    # (set first: switching to WAL takes a lock, and a new connection opened while another writes would fail at
    # once with "database is locked"); SQLite leaves foreign keys off unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(url: str, *, connect_args: Mapping[str, Any] | None = None) -> Config:
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations"))
    # Passed as attributes, not ini options: ini interpolation would mangle a '%' in a password.
    config.attributes["url"] = async_url(url)
    config.attributes["connect_args"] = dict(connect_args or {})
    return config


async def migrate(url: str = DEFAULT_URL, *, connect_args: Mapping[str, Any] | None = None) -> None:
    """Upgrade the database to the latest schema. Alembic is synchronous, so it runs in a worker thread
    (with its own event loop for the async driver) and the bot's loop keeps serving meanwhile."""
    _prepare_sqlite_file(async_url(url))
    config = alembic_config(url, connect_args=connect_args)
    await asyncio.to_thread(command.upgrade, config, "head")


def make_uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    # expire_on_commit=False: nothing is read back lazily after a commit (lazy I/O would need an await).
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    def factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions)

    return factory
