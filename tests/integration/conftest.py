"""The unit-of-work factory the store, ticket and transcript tests run on: SQLite, and PostgreSQL on a fresh schema
when the server at 127.0.0.1:5432 answers (`tickets_support.store`). A file with its own `uows` fixture keeps it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tickets_support import STORES, store

from spaces_core.ports import UnitOfWorkFactory


@pytest.fixture(params=STORES)
async def uows(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    async with store(request.param, tmp_path) as factory:
        yield factory
