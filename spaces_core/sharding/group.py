"""One bot process among several on one PostgreSQL database: what it holds and how the others reach it.

Design (docs/ARCHITECTURE.md, "Shards", says the same for operators):

- **Ownership.** A process holds the shards in `SHARD_IDS`; a guild belongs to shard `(guild_id >> 22) % count`,
  so its commands, voice states and Stage reach that process only, which also runs its Spaces' audio. Work that
  may start anywhere (a Stripe webhook posted to any process, the one scheduler's jobs, reconciliation) is
  committed to the database exactly once wherever it runs; its events are then dispatched by the owner.
- **Routing: mail, woken by NOTIFY.** `ShardedBus` leaves a batch about another shard's guild in `shard_mail`
  (`spaces_core.sharding.mail`) and NOTIFYs; the holder LISTENs, takes its rows and dispatches them on its own
  bus. The row survives a holder that is restarting; a poll every `poll` seconds catches a NOTIFY missed during
  a reconnect. A process that needs the owner's answer (Start now pressed in a DM, which Discord sends to shard
  0) calls it through the same mail (`spaces_core.sharding.calls`).
- **Handover.** A session advisory lock per shard (`LOCK_BASE + shard id`) is held on one connection for the
  process's life. A new process for a held shard waits (and says so) before it logs in to Discord, so two
  processes never IDENTIFY on one shard and a deploy costs one login per shard. If that connection dies the lock
  is gone: `lost` is set and the process must stop (its caller closes the bot), since another may take the shard.
- **Web addresses.** Each process records its web address for its shards (`shard_web_addresses`): a listen page
  asked of the wrong process is redirected to its owner's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from spaces_core.domain.shards import ShardPlan, shard_of
from spaces_core.sharding import mail
from spaces_core.sharding.bus import ShardedBus
from spaces_core.sharding.calls import Answer, Batch, Call, Calls, Reply
from spaces_core.store.database import async_url

__all__ = ["LOCK_BASE", "ShardGroup"]

log = logging.getLogger(__name__)
# Advisory lock keys of the shards: apart from the scheduler's ("SPACES", spaces_core.scheduling.LOCK_KEY).
LOCK_BASE = 0x5348_4152_0000_0000  # "SHAR" + the shard id in the low bits


class ShardGroup:
    def __init__(
        self,
        database_url: str,
        bus: ShardedBus,
        *,
        connect_args: Mapping[str, Any] | None = None,
        poll: float = 5.0,
        lock_poll: float = 1.0,
        lock_base: int = LOCK_BASE,
        call_timeout: float = 30.0,
    ) -> None:
        self.plan: ShardPlan = bus.plan
        self._bus = bus
        self._dsn, self._connect = mail.dsn_parts(async_url(database_url), dict(connect_args or {}))
        self._poll, self._lock_poll, self._lock_base = poll, lock_poll, lock_base
        self._holder: asyncpg.Connection | None = None  # the locks and LISTEN live on this one connection
        self._pool: asyncpg.Pool | None = None
        self._wake = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.lost = asyncio.Event()  # set when the locks' connection died: the process must stop
        self.waited: list[int] = []  # shards this process had to wait for (a deploy's handover), in order
        self._calls = Calls(self._leave, home=self.plan.ids[0], timeout=call_timeout)
        bus.mail_with(self.mail)

    async def hold(self) -> None:
        """Take every shard's lock (waiting for a process that holds one to let go), then receive mail. Call
        before the bot logs in to Discord."""
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=4, **self._connect)
        self._holder = await asyncpg.connect(self._dsn, **self._connect)
        for shard_id in self.plan.ids:
            await self._lock(self._holder, shard_id)
        self._holder.add_termination_listener(self._on_lost)
        await self._holder.add_listener(mail.CHANNEL, self._on_notify)
        self._reader = asyncio.create_task(self._read_mail(), name="shard-mail")

    async def _lock(self, conn: asyncpg.Connection, shard_id: int) -> None:
        told = False
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_base + shard_id):
            if not told:
                log.warning("shard %d is held by another process (the one a deploy replaces?): waiting", shard_id)
                self.waited.append(shard_id)
                told = True
            await asyncio.sleep(self._lock_poll)
        log.info("holding shard %d of %d%s", shard_id, self.plan.count, " (taken over)" if told else "")

    def _on_lost(self, _conn: object) -> None:
        if self._reader is not None:  # not while closing on purpose
            log.critical(
                "lost the connection holding shards %s: another process may take them; stopping", self.plan.ids
            )
            self.lost.set()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload.isdigit() and int(payload) in self.plan.ids:
            self._wake.set()

    async def mail(self, shard_id: int, aggregate: object, events: Sequence[object]) -> None:
        """Leave a batch for the process holding `shard_id` (the bus calls this for other shards' guilds)."""
        log.info("events of %s for shard %d: mailed to its process", getattr(aggregate, "id", aggregate), shard_id)
        await self._leave(shard_id, Batch(aggregate, list(events)))

    async def _leave(self, shard_id: int, message: object) -> None:
        await mail.leave(self._require_pool(), shard_id, message)

    def answer(self, name: str, handler: Answer) -> None:
        """Answer the calls named `name` that other processes make to this one's guilds (`calls.Calls`)."""
        self._calls.answer(name, handler)

    async def call(self, guild_id: int, name: str, *args: object) -> object:
        """Run `name(*args)` in the process that owns `guild_id` and return its result (see `calls.Calls`)."""
        return await self._calls.call(shard_of(guild_id, self.plan.count), name, *args)

    async def _read_mail(self) -> None:
        while True:
            # Cleared before taking, never after: a NOTIFY that arrives while this pass runs wakes the next one at
            # once (cleared after, it would wait out the poll).
            self._wake.clear()
            try:
                while messages := await mail.take(self._require_pool(), self.plan.ids):
                    for message in messages:
                        await self._deliver(message)
            except Exception:
                log.exception("reading the shard mail failed; trying again")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()

    async def _deliver(self, message: object) -> None:
        if isinstance(message, Batch):
            await self._bus.publish_here(message.aggregate, message.events)
        elif isinstance(message, Call | Reply):
            self._calls.received(message)
        else:
            log.warning("shard mail of an unknown kind dropped: %r", type(message))

    async def register_web(self, base_url: str) -> None:
        """Record that this process's shards' pages are served at `base_url`."""
        await self._require_pool().executemany(
            "INSERT INTO shard_web_addresses (shard_id, base_url, updated_at) VALUES ($1, $2, now())"
            " ON CONFLICT (shard_id) DO UPDATE SET base_url = excluded.base_url, updated_at = now()",
            [(shard_id, base_url) for shard_id in self.plan.ids],
        )

    async def web_of(self, guild_id: int) -> str | None:
        """The web address of the process holding `guild_id`'s shard (None: unknown, or this process)."""
        if self.plan.owns(guild_id):
            return None
        shard_id = shard_of(guild_id, self.plan.count)
        found = await self._require_pool().fetchval(
            "SELECT base_url FROM shard_web_addresses WHERE shard_id = $1", shard_id
        )
        return str(found) if found else None

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the shard group is not held yet: call hold() first")
        return self._pool

    async def close(self) -> None:
        """Stop reading mail and let go of the shards (closing the connection frees its locks)."""
        await self._calls.close()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        holder, self._holder = self._holder, None
        if holder is not None:
            with contextlib.suppress(Exception):
                await holder.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
