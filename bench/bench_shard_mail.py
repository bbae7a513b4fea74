"""Benchmark: how long the Discord side of an event waits when it happened in the wrong bot process (sharding).

Run: `.venv/bin/python -m bench.bench_shard_mail [--count N]` (prints its figures; see docs/BENCHMARKS.md). Needs
the PostgreSQL at 127.0.0.1:5432 (user postgres); makes a database of its own and drops it. Two `ShardGroup`s,
shards 0 and 1 of 2, each on its own connections as two processes would be; shard 0's bus publishes a scheduled
Space's `OfferChanged` for a guild of shard 1, which is pickled into `shard_mail`, NOTIFYed, taken by shard 1 and
dispatched on its bus. Measured: one batch at a time (publish to handler), then `count` published at once
(until the last is handled). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime

import asyncpg

from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.shards import ShardPlan
from spaces_core.domain.ticket_events import OfferChanged
from spaces_core.sharding import ShardedBus, ShardGroup
from spaces_core.store.database import migrate

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
GUILD_OF_SHARD_ONE = (7 << 22) | 1


def schedule() -> ScheduledSpace:
    now = datetime.now(UTC)
    return ScheduledSpace(
        id=uuid.uuid4().hex, guild_id=GUILD_OF_SHARD_ONE, channel_id=2, host_id=3, title="Beat Tape Listening",
        topics=("beats", "tapes"), starts_at=now, created_at=now,
    )  # fmt: skip


async def measure(url: str, count: int) -> None:
    sender, receiver = ShardedBus(ShardPlan(2, (0,))), ShardedBus(ShardPlan(2, (1,)))
    arrived: dict[str, float] = {}
    all_in, one_in = asyncio.Event(), asyncio.Event()

    async def handled(aggregate: ScheduledSpace, event: OfferChanged) -> None:
        arrived[aggregate.id] = time.perf_counter()
        one_in.set()
        if len(arrived) >= count:
            all_in.set()

    receiver.subscribe(OfferChanged, handled)
    zero, one = ShardGroup(url, sender), ShardGroup(url, receiver)
    started = time.perf_counter()
    await zero.hold()
    await one.hold()
    print(f"hold two groups (pools, locks, LISTEN): {(time.perf_counter() - started) * 1000:.1f} ms")
    try:
        waits = []
        for _ in range(count):
            space = schedule()
            one_in.clear()
            sent = time.perf_counter()
            await sender.publish(space, [OfferChanged(space.id)])
            await asyncio.wait_for(one_in.wait(), 30)
            waits.append((arrived[space.id] - sent) * 1000)
        waits.sort()
        p95 = waits[int(len(waits) * 0.95) - 1]
        print(f"one at a time, {count} batches: median {statistics.median(waits):.2f} ms, p95 {p95:.2f} ms, "
              f"max {waits[-1]:.2f} ms")  # fmt: skip
        arrived.clear()
        all_in.clear()
        started = time.perf_counter()
        await asyncio.gather(*(sender.publish(s, [OfferChanged(s.id)]) for s in (schedule() for _ in range(count))))
        await asyncio.wait_for(all_in.wait(), 120)
        took = time.perf_counter() - started
        print(f"{count} published at once: all handled in {took * 1000:.0f} ms ({count / took:.0f} batches/s)")
    finally:
        await zero.close()
        await one.close()


async def main(count: int) -> None:
    name = f"spaces_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        await migrate(url)
        await measure(url, count)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    asyncio.run(main(parser.parse_args().count))
