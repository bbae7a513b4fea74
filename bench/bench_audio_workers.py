"""Benchmark: what each Space heard on an audio worker costs — the time to seat it, and CPU while all speak.

Run: `.venv/bin/python -m bench.bench_audio_workers [--workers 4] [--seconds 10]` (prints its figures; see
docs/BENCHMARKS.md). One process holds the local Discord, the bot and its workers, as in the end-to-end tests: the
CPU figure includes the local server's sending of every speaker's audio (one datagram per receiver per 20 ms), so
it is an upper bound of the bot's own. Not a test: machines here are shared and noisy, so the figures are recorded,
not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from demo.world import World, open_world
from sandbox.permissions import CONNECT, VIEW_CHANNEL
from sandbox.speech import encode_opus, tone

HOSTS = ("hana", "cole", "lee", "maya", "sam", "mo")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seat(world: World, index: int) -> tuple[float, Any]:
    """Start a Space on a new Stage; seconds from `/space start` to its connection receiving, and its room."""
    stage = world.server.add_stage_channel(world.guild_id, f"Stage {index}")
    await world.server.wait_for(lambda: world.bot.bot.get_channel(stage) is not None)
    host = world[HOSTS[index]]
    await world.server.join_voice(world.guild_id, host, stage)
    started = time.perf_counter()
    record: Any = await world.slash(stage, host, "space start", title=f"Space {index}")
    assert "live" in record.content, record.content
    space = await world.bot.bot.app.spaces.live_in_channel(world.guild_id, stage)
    audio = world.bot.bot.app.audio
    await world.server.wait_for(lambda: _receiving(world, audio.get(space.id), stage), timeout=30)
    return time.perf_counter() - started, audio.get(space.id)


def _receiving(world: World, room: Any, stage: int) -> bool:
    if room is None:
        return False
    user = room.connection or world.bot.bot.user.id
    state = world.server.voice_state(world.guild_id, user)
    session = world.server.voice.session_for(world.guild_id, user)
    return bool(state and int(state["channel_id"]) == stage and session and session.client_address)


async def cpu_while_speaking(world: World, hosts: list[int], seconds: float) -> float:
    """Cores used by this process while every host talks (a tone each)."""
    packets = encode_opus(tone(440, seconds))
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(world.server.speak(world.guild_id, host, packets) for host in hosts))
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


async def run(workers: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        world = await open_world(f"sqlite+aiosqlite:///{tmp}/spaces.db")
        try:
            accounts = [world.server.add_bot(name=f"Audio {i}") for i in range(1, workers + 1)]
            for account in accounts:
                world.server.add_bot_to_guild(world.guild_id, account, permissions=VIEW_CHANNEL | CONNECT)
            before = rss_mb()
            await world.start_bot(
                recordings_dir=str(Path(tmp) / "rec"), audio_worker_tokens=tuple(a.token for a in accounts)
            )
            pool = world.bot.bot.app.server_audio.workers
            await world.server.wait_for(lambda: len(pool.free_in(world.guild_id, ())) == workers, timeout=30)
            rss_ready = rss_mb()
            seats, cores, hosts = [], [], []
            for index in range(workers + 1):
                took, _ = await seat(world, index)
                seats.append(took * 1000)
                hosts.append(world[HOSTS[index]])
                cores.append(round(await cpu_while_speaking(world, hosts, seconds), 3))
            return {
                "workers": workers,
                "seat_ms_main": round(seats[0]),
                "seat_ms_workers_median": round(statistics.median(seats[1:])) if workers else None,
                "cores_by_spaces_heard": cores,
                "rss_mb_bot_and_workers_started": round(rss_ready - before),
                "rss_mb_peak": round(rss_mb()),
            }
        finally:
            await world.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(max(0, min(args.workers, len(HOSTS) - 1)), max(1.0, args.seconds)))))


if __name__ == "__main__":
    main()
