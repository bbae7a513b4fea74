"""Migration 0008 (transcripts and their full-text index) goes down to 0007 and up again on SQLite and
PostgreSQL, leaving nothing behind on the way down and a working search on the way up."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from pg_support import PG_URL, pg_schema

from spaces_core.domain.space import Space
from spaces_core.domain.transcripts import Phrase
from spaces_core.store.database import alembic_config, create_engine, make_uow_factory, migrate

NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


async def migrate_to(url: str, revision: str, connect_args: dict[str, Any] | None = None) -> None:
    config = alembic_config(url, connect_args=connect_args)
    upgrading = revision == "head"
    await asyncio.to_thread(command.upgrade if upgrading else command.downgrade, config, revision)


async def search_works(url: str, connect_args: dict[str, Any] | None = None) -> None:
    engine = create_engine(url, connect_args=connect_args)
    try:
        uows = make_uow_factory(engine)
        space, _ = Space.open(
            space_id="s1", guild_id=5, channel_id=6, host_id=7, title="t", topics="", now=NOW, speaker_limit=10
        )
        async with uows() as uow:
            await uow.spaces.add(space)
            await uow.transcripts.add([Phrase("s1", 7, timedelta(0), timedelta(seconds=1), "who said that", "en")])
            await uow.commit()
        async with uows() as uow:
            assert [hit.text for hit in await uow.transcripts.search(5, "who")] == ["who said that"]
    finally:
        await engine.dispose()


def sqlite_names(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'transcript%'")}


async def test_sqlite_down_and_up(tmp_path: Path) -> None:
    path = tmp_path / "spaces.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate(url)
    assert {"transcript_phrases", "transcript_fts", "transcript_fts_insert", "transcript_fts_delete"} <= sqlite_names(
        path
    )
    await migrate_to(url, "0007")
    assert sqlite_names(path) == set()
    await migrate_to(url, "head")
    await search_works(url)


@pytest.mark.postgres
async def test_postgres_down_and_up() -> None:
    async with pg_schema() as schema:

        async def columns() -> set[str]:
            rows = await schema.admin.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $1"
                " AND table_name = 'transcript_phrases'",
                schema.name,
            )
            return {row["column_name"] for row in rows}

        assert "search" in await columns()
        await migrate_to(PG_URL, "0007", schema.connect_args)
        assert await columns() == set()
        await migrate_to(PG_URL, "head", schema.connect_args)
        await search_works(PG_URL, schema.connect_args)
