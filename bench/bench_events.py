"""The listen page's event streams: the bot's CPU for N open pages of one live Space.

Every web listener's page holds one server-sent event stream to the bot (state, speaking lights, captions), even
when its audio comes from a Janus edge or HLS. So the bot's process pays for every page, wherever the audio is
served: this measures what one open page costs it.

The real `WebServer` and a real `SpaceAudio` run in this process; N streams are opened by a child process (one
aiohttp session) so their reading is not counted. Over the window, a member joins or leaves the Stage every 0.5 s
(`--change-every`; each a new listener count on every page), and the bot's CPU (`time.process_time`) over wall
time is reported, with the events each page received. The Space's mixer runs meanwhile (about 0.1 core alone).

    .venv/bin/python -m bench.bench_events --pages 250,1000,2000 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection

import aiohttp

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.web import LinkSigner, WebServer
from spaces_core.domain.space import Space

LOOPBACK = "127.0.0.1"
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def _space() -> Space:
    space, _ = Space.open(
        space_id="bench", guild_id=1, channel_id=2, host_id=3, title="Bench", topics="load", now=NOW, speaker_limit=10
    )
    for user in range(100, 130):
        space.join(user, NOW)
    return space


async def _read(url: str, pages: int, seconds: float, out: Connection) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:
        counts = [0] * pages
        connected = asyncio.Event()

        async def page(index: int) -> None:
            async with session.get(url) as response:
                async for line in response.content:
                    if line.startswith(b"data:"):
                        counts[index] += 1
                        if counts[index] == 1 and sum(1 for c in counts if c) == pages:
                            connected.set()  # every page has its first state

        tasks = [asyncio.create_task(page(i)) for i in range(pages)]
        await connected.wait()
        out.send("connected")
        before = list(counts)
        await asyncio.sleep(seconds)
        out.send([after - first for after, first in zip(counts, before, strict=True)])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _reader(url: str, pages: int, seconds: float, out: Connection) -> None:
    asyncio.run(_read(url, pages, seconds, out))


@dataclass
class Row:
    pages: int
    cores: float
    events_min: int
    events_median: int


async def _comings_and_goings(room: SpaceAudio, member: int, every: float) -> None:
    """A member joins and leaves the Stage in turn, every `every` s: each a new listener count on every page."""
    while every > 0:
        if member in room.space.present:
            room.space.leave(member, NOW)
        else:
            room.space.join(member, NOW)
        room.update(room.space)
        await asyncio.sleep(every)


async def measure(pages: int, seconds: float, change_every: float) -> Row:
    audio = AudioRooms(web_host=LOOPBACK)
    room = audio.open(_space())
    web = WebServer(audio, LinkSigner("bench"), host=LOOPBACK, port=0, name_of=lambda g, u: f"member {u}")
    await web.start()
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.Process(
        target=_reader, args=(f"{web.listen_url(room.space)}/events", pages, seconds, theirs)
    )
    child.start()
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, ours.recv)  # "connected"
        toggler = asyncio.create_task(_comings_and_goings(room, 999, change_every))
        cpu, wall = time.process_time(), time.monotonic()
        received: list[int] = await loop.run_in_executor(None, ours.recv)
        cores = (time.process_time() - cpu) / (time.monotonic() - wall)
        toggler.cancel()
    finally:
        child.join(timeout=30)
        await web.stop()
        await audio.stop()
    received.sort()
    return Row(pages, cores, received[0], received[len(received) // 2])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", default="250,1000,2000", help="open pages per run, comma-separated (at most 5,000)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--change-every", type=float, default=0.5, help="seconds between two changes; 0: none")
    args = parser.parse_args()
    counts = [min(int(n), 5000) for n in args.pages.split(",")]
    every = f"a change every {args.change_every} s"
    print(f"{'pages':>6} | {'bot cores':>9} | {'µs/page/s':>9} | events/page min med ({every})")
    for pages in counts:
        row = await measure(pages, min(args.seconds, 60.0), args.change_every)
        per_page_us = row.cores / pages * 1e6
        print(f"{row.pages:>6} | {row.cores:>9.3f} | {per_page_us:>9.1f} | {row.events_min} {row.events_median}")
        print(json.dumps(row.__dict__))


if __name__ == "__main__":
    asyncio.run(main())
