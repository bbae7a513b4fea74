"""Benchmark: slash-command latency with 1,000 members and 20 live Spaces, and card edits under a join storm.

Run: `.venv/bin/python -m bench.bench_stage` (prints its figures; see docs/BENCHMARKS.md).
Targets from the foundation issue: first response p95 ≤ 200 ms; 100 joins/s → at most one edit per card per
5 s and no lost count. Not a test: machines here are shared and noisy, so the figures are recorded, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from demo.world import World, open_world

SPACES = 20
MEMBERS = 1_000


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def open_spaces(world: World, hosts: list[int]) -> list[int]:
    stages = []
    for index, host in enumerate(hosts):
        stage = world.server.add_stage_channel(world.guild_id, f"Stage {index}")
        await world.server.wait_for(lambda s=stage: world.bot.bot.get_channel(s) is not None)
        await world.server.join_voice(world.guild_id, host, stage)
        record: Any = await world.slash(stage, host, "space start", title=f"Space {index}")
        assert "live" in record.content, record.content
        stages.append(stage)
    return stages


async def command_latency(world: World, stages: list[int], hosts: list[int], samples: int) -> list[float]:
    timings = []
    for index in range(samples):
        stage, host = stages[index % len(stages)], hosts[index % len(hosts)]
        started = time.perf_counter()
        await world.slash(stage, host, "space share")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def join_storm(world: World, stage: int, members: list[int], per_second: int, seconds: float) -> dict[str, Any]:
    space = await world.bot.bot.app.spaces.live_in_channel(world.guild_id, stage)
    assert space is not None
    updater = world.bot.bot.app.cards
    refs = await world.bot.bot.app.spaces.cards(space.id)
    for _, message_id in refs:
        updater.edit_times[message_id].clear()
    started = time.perf_counter()
    total = int(per_second * seconds)
    for index, member in enumerate(members[:total]):
        await world.server.join_voice(world.guild_id, member, stage)
        target = started + (index + 1) / per_second
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    storm = time.perf_counter() - started
    await asyncio.sleep(6.0)  # let the last coalesced edit land
    space = await world.bot.bot.app.spaces.live_in_channel(world.guild_id, stage)
    per_card = [updater.edit_times[message_id] for _, message_id in refs]
    gaps = [later - earlier for times in per_card for earlier, later in itertools.pairwise(times)]
    card = next(m for m in world.server.messages(stage) if m.get("embeds"))
    shown = next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "Listeners")
    return {
        "joins": total,
        "seconds": storm,
        "edits_per_card": max(len(times) for times in per_card),
        "min_gap": min(gaps) if gaps else float("inf"),
        "cards": len(refs),
        "listeners_counted": space.listener_count,
        "listeners_on_card": shown,
    }


async def main(samples: int, per_second: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = await open_world(f"sqlite+aiosqlite:///{Path(tmp)}/bench.db", members=MEMBERS)
        try:
            await world.start_bot(card_interval=5.0, succession_tick=1.0)
            await world.slash(world.chat_id, world.owner, "server-settings", feed_channel=world.feed_id)
            ids = sorted(world.server.guild(world.guild_id).members)
            hosts = [uid for uid in ids if uid not in (world.owner, world.bot.bot.user.id)][:SPACES]
            stages = await open_spaces(world, hosts)
            timings = await command_latency(world, stages, hosts, samples)
            print(f"guild members: {len(ids)}, live Spaces: {len(stages)}")
            print(
                f"/space share → first response over {samples} commands: p50 {statistics.median(timings):.1f} ms, "
                f"p95 {percentile(timings, 0.95):.1f} ms, max {max(timings):.1f} ms (target p95 ≤ 200 ms)"
            )
            crowd = [uid for uid in ids if uid not in hosts and uid not in (world.owner, world.bot.bot.user.id)]
            result = await join_storm(world, stages[0], crowd, per_second, seconds)
            window = result["seconds"] + 6.0
            print(
                f"join storm: {result['joins']} joins in {result['seconds']:.1f} s → "
                f"at most {result['edits_per_card']} edits of each of {result['cards']} cards over {window:.0f} s, "
                f"shortest gap between two edits of one card {result['min_gap']:.2f} s (limit: one per 5 s); "
                f"listeners counted {result['listeners_counted']}, shown on the card {result['listeners_on_card']}"
            )
        finally:
            await world.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--per-second", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.samples, args.per_second, args.seconds))
