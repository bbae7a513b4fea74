"""End to end: the real bot on the local Discord-compatible server with ``JANUS_EDGES`` set; the host speaks on the
Stage and a web listener through a Janus edge hears her, counted among the page's web listeners."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.web import WebServer
from demo.edge_listener import EdgeListener, dominant_frequency
from demo.world import World, open_world
from sandbox.speech import encode_opus, tone
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_audio_receive import room_of
from tests.janus.conftest import Namespace


@pytest.fixture
async def world(tmp_path: Path, two_edges: Namespace) -> AsyncIterator[World]:
    edges = ",".join(f"{x.url}@{x.rtp_host}" for x in map(two_edges.config, ["edge1", "edge2"]))
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await w.start_bot(janus_edges=edges)
        yield w
    finally:
        await w.close()


async def test_a_web_listener_through_an_edge_hears_the_speaker(world: World) -> None:
    await start_space(world)
    room = await room_of(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer) and web.edges is not None
    edges = web.edges
    await eventually(lambda: all(space.id in edge.mountpoints for edge in edges.edges), timeout=20)
    talk = asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 30.0))))
    async with aiohttp.ClientSession() as http:
        listener = EdgeListener(http, web.page_url(space.id))
        try:
            await listener.dial()
            frequency, amplitude = dominant_frequency(await listener.hear(1.0))
            assert abs(frequency - 440) < 5 and amplitude > 0.05
            await eventually(lambda: web.state(room)["listeners"]["web"] == 1, timeout=10)  # Janus's count
            assert room.web_peak == 1  # what the recap's peak reads
        finally:
            talk.cancel()
            await asyncio.gather(talk, return_exceptions=True)
            await listener.hang_up()
