"""Two shard groups on one PostgreSQL schema, as two bot processes hold them: a batch about the other shard's
guild is dispatched there (not here), mail left while no one holds the shard waits for its holder, and a second
group for a held shard waits until the first lets go."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pg_support import PG_URL, PgSchema, pg_schema
from schedule_support import until

from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.refs import MemberRef
from spaces_core.domain.shards import ShardPlan
from spaces_core.sharding import ShardedBus, ShardGroup

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(60)]


@dataclass(frozen=True)
class Guilded:
    """An aggregate as the bus sees one: an id and a guild."""

    id: str
    guild_id: int


@dataclass(frozen=True)
class Happened:
    what: str


def on_shard(shard: int, n: int = 7) -> int:
    return ((n * 2 + shard) << 22) | 99


@pytest.fixture
async def schema() -> AsyncIterator[PgSchema]:
    async with pg_schema() as made:
        yield made


class Process:
    """One process's bus and group; `seen` is what its handlers got."""

    def __init__(self, schema: PgSchema, shard: int, lock_base: int) -> None:
        self.bus = ShardedBus(ShardPlan(2, (shard,)))
        self.seen: list[tuple[str, str]] = []
        self.bus.subscribe(Happened, self._record)
        self.group = ShardGroup(PG_URL, self.bus, connect_args=schema.connect_args, poll=30.0, lock_base=lock_base)

    async def _record(self, aggregate: Guilded, event: Happened) -> None:
        self.seen.append((aggregate.id, event.what))


@pytest.fixture
def lock_base() -> int:
    """Advisory locks are per database, not per schema: each test its own keys."""
    return uuid.uuid4().int >> 66


async def test_a_batch_for_the_other_shard_is_handled_there_only(schema: PgSchema, lock_base: int) -> None:
    zero, one = Process(schema, 0, lock_base), Process(schema, 1, lock_base)
    await zero.group.hold()
    await one.group.hold()
    try:
        await zero.bus.publish(Guilded("a", on_shard(1)), [Happened("paid"), Happened("granted")])
        await zero.bus.publish(Guilded("b", on_shard(0)), [Happened("here")])
        await until(lambda: len(one.seen) == 2, timeout=10)  # woken by NOTIFY: the poll is 30 s
        assert one.seen == [("a", "paid"), ("a", "granted")]
        assert zero.seen == [("b", "here")]
        assert await schema.admin.fetchval(f'SELECT count(*) FROM "{schema.name}".shard_mail') == 0
    finally:
        await zero.group.close()
        await one.group.close()


async def test_mail_waits_for_a_shard_nobody_holds_yet(schema: PgSchema, lock_base: int) -> None:
    zero, one = Process(schema, 0, lock_base), Process(schema, 1, lock_base)
    await zero.group.hold()
    try:
        await zero.bus.publish(Guilded("a", on_shard(1)), [Happened("paid")])
        assert await schema.admin.fetchval(f'SELECT count(*) FROM "{schema.name}".shard_mail') == 1
        await one.group.hold()  # a deploy's new process: it reads what was left while the shard was down
        await until(lambda: one.seen == [("a", "paid")], timeout=10)
    finally:
        await zero.group.close()
        await one.group.close()


async def test_a_second_holder_of_a_shard_waits_for_the_first(schema: PgSchema, lock_base: int) -> None:
    old, new = Process(schema, 0, lock_base), Process(schema, 0, lock_base)
    new.group = ShardGroup(PG_URL, new.bus, connect_args=schema.connect_args, lock_poll=0.05, lock_base=lock_base)
    await old.group.hold()
    holding = asyncio.create_task(new.group.hold())
    try:
        await until(lambda: new.group.waited == [0], timeout=10)
        assert not holding.done()
        await old.group.close()  # the old process ends: its connection, and with it the lock, goes
        await asyncio.wait_for(holding, 10)
        await new.group.register_web("http://new:1")
        other = Process(schema, 1, lock_base)
        await other.group.hold()
        try:
            assert await other.group.web_of(on_shard(0)) == "http://new:1"  # the shard's page is at its holder
            assert await other.group.web_of(on_shard(1)) is None  # its own: served here
        finally:
            await other.group.close()
    finally:
        holding.cancel()
        await asyncio.gather(holding, return_exceptions=True)
        await old.group.close()
        await new.group.close()


async def test_losing_the_locks_connection_says_the_process_must_stop(schema: PgSchema, lock_base: int) -> None:
    """Killed by the server (a failover, an idle reaper): the locks went with it, another process may take the
    shard, so `lost` is set for the runner to stop the bot."""
    zero = Process(schema, 0, lock_base)
    await zero.group.hold()
    try:
        assert not zero.group.lost.is_set()
        terminated = await schema.admin.fetchval(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = $1 AND objid = $2",
            lock_base >> 32,
            lock_base & 0xFFFFFFFF,
        )
        assert terminated
        await asyncio.wait_for(zero.group.lost.wait(), 10)
    finally:
        await zero.group.close()


async def test_a_call_runs_at_the_guilds_owner_and_its_answer_or_error_comes_back(
    schema: PgSchema, lock_base: int
) -> None:
    zero, one = Process(schema, 0, lock_base), Process(schema, 1, lock_base)
    ran_at: list[int] = []

    async def open_space(guild_id: int, title: str) -> str:
        ran_at.append(1)
        if not title:
            raise InvalidInput("A Space needs a title, {member}.", member=MemberRef(42))
        return f"{title} live in {guild_id}"

    one.group.answer("open", open_space)
    await zero.group.hold()
    await one.group.hold()
    try:
        assert await zero.group.call(on_shard(1), "open", on_shard(1), "AMA") == f"AMA live in {on_shard(1)}"
        with pytest.raises(InvalidInput) as refused:
            await zero.group.call(on_shard(1), "open", on_shard(1), "")
        assert refused.value.refs == {"member": MemberRef(42)}  # the structured error, not only its words
        assert ran_at == [1, 1]
    finally:
        await zero.group.close()
        await one.group.close()


async def test_a_call_left_while_the_owner_was_down_is_not_run_late(schema: PgSchema, lock_base: int) -> None:
    zero, one = Process(schema, 0, lock_base), Process(schema, 1, lock_base)
    ran: list[str] = []

    async def open_space(title: str) -> str:
        ran.append(title)
        return title

    one.group.answer("open", open_space)
    # A caller that gives up quickly, as a member waiting on Start now would.
    zero.group = ShardGroup(PG_URL, zero.bus, connect_args=schema.connect_args, lock_base=lock_base, call_timeout=0.5)
    await zero.group.hold()
    try:
        with pytest.raises(TimeoutError, match="did not answer open"):
            await zero.group.call(on_shard(1), "open", "too late")
        await one.group.hold()  # the owner comes back and reads the call
        assert await zero.group.call(on_shard(1), "open", "in time") == "in time"
        assert ran == ["in time"]
    finally:
        await zero.group.close()
        await one.group.close()
