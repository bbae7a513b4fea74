"""The mail between bot processes: rows of `shard_mail`, addressed to a shard, woken by `NOTIFY`.

A row is one message, pickled: a batch of committed domain events with its aggregate, or a call to the owner and
its reply (`ShardGroup.call`). Both ends are this code base at one version (a rolling deploy mixes two versions
for seconds; a message one cannot read is logged and dropped, like a handler's failure), and only our own
processes write the table, so unpickling it trusts no one new. The row, not the notification, carries the
message: a NOTIFY sent while the holder was restarting is lost, the row waits.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Sequence
from typing import Any

import asyncpg

__all__ = ["CHANNEL", "dsn_parts", "leave", "take"]

log = logging.getLogger(__name__)
CHANNEL = "spaces_shard_mail"  # NOTIFY's channel; the payload is the shard id the mail is for
TAKE_AT_ONCE = 50


async def leave(pool: asyncpg.Pool, shard_id: int, message: object) -> None:
    """Store the message for `shard_id` and wake its holder, in one transaction (NOTIFY is sent at commit)."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO shard_mail (shard_id, payload) VALUES ($1, $2)", shard_id, payload)
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(shard_id))


async def take(pool: asyncpg.Pool, shard_ids: Sequence[int]) -> list[object]:
    """Remove and return up to TAKE_AT_ONCE messages for these shards, oldest first. SKIP LOCKED: two takers (a
    deploy's overlap) never get one row twice. Taken is gone: like the bus's handlers, at most once."""
    rows = await pool.fetch(
        "DELETE FROM shard_mail WHERE id IN (SELECT id FROM shard_mail WHERE shard_id = ANY($1::int[])"
        " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id, payload",
        list(shard_ids),
        TAKE_AT_ONCE,
    )
    messages: list[object] = []
    for row in sorted(rows, key=lambda r: r["id"]):
        try:
            messages.append(pickle.loads(row["payload"]))
        except Exception:
            log.exception("shard mail %s could not be read (written by another version?); dropped", row["id"])
    return messages


def dsn_parts(url: str, connect_args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """asyncpg's DSN and keyword arguments for the store's URL (`postgresql+asyncpg://...`)."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)
    return dsn, {k: v for k, v in connect_args.items() if k == "server_settings"}
