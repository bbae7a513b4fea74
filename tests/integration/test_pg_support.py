"""The per-test PostgreSQL schema's own guard: a transaction left open on its tables makes the drop fail fast,
naming who holds them, instead of hanging the teardown until pytest-timeout."""

from __future__ import annotations

import pytest
from pg_support import PG_URL, drop_schema, pg_schema

from spaces_core.store.database import create_engine, make_uow_factory

pytestmark = pytest.mark.postgres


async def test_a_transaction_left_open_fails_the_drop_with_its_holder():
    async with pg_schema() as schema:
        engine = create_engine(PG_URL, connect_args=schema.connect_args)
        try:
            async with make_uow_factory(engine)() as uow:
                await uow.ticket_actions.pending()  # reads ticket_actions: a lock held until the transaction ends
                with pytest.raises(AssertionError, match=r"still locked after 1s by .*ticket_actions"):
                    await drop_schema(schema.admin, schema.name, lock_timeout="1s")
        finally:
            await engine.dispose()
