"""`python -m demo --janus`: two Janus edges (scripts/janus_netns, as root, Debian `janus`) and, in the live Space,
a browser's audio played through one of them: the bot feeds both edges and hands the page the least loaded one."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

from bot.web import WebServer
from demo.edge_listener import EdgeListener, dominant_frequency
from demo.narrator import Narrator
from demo.world import World, eventually
from sandbox.speech import encode_opus, tone

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "janus_netns"
EDGES = {"edge1": 8088, "edge2": 8089}
ENV = {"JANUS_NS": "spaces-demo", "JANUS_SUBNET": "10.235.0"}


def missing() -> str | None:
    """Why the edges cannot run here, or None."""
    if shutil.which("janus") is None:
        return "janus is not installed (apt-get install janus)"
    if os.geteuid() != 0:
        return "the Janus edges run in a network namespace: run the demo as root"
    return None


class DemoEdges:
    def __init__(self) -> None:
        self._env = {**os.environ, **ENV, "JANUS_DEBUG_LEVEL": "2"}
        address = "10.235.0.2"
        self.setting = ",".join(f"http://{address}:{port}/janus" for port in EDGES.values())

    def __enter__(self) -> DemoEdges:
        for name, port in EDGES.items():
            subprocess.run([SCRIPT, "start", name, str(port)], env=self._env, check=True, capture_output=True)
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run([SCRIPT, "down"], env=self._env, check=False, capture_output=True)


async def listen_through_an_edge(world: World, say: Narrator) -> None:
    web: Any = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    assert web.edges is not None
    edges = web.edges
    space = await world.bot.bot.app.spaces.live_in_channel(world.guild_id, world.stage_id)
    assert space is not None  # the act before started it
    await eventually(lambda: all(space.id in edge.mountpoints for edge in edges.edges), timeout=20)
    say("Spaces", f"feeds the Space's mix to {len(edges.edges)} Janus edges (a mountpoint on each)")
    talk = asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 10.0))))
    async with aiohttp.ClientSession() as http:
        listener = EdgeListener(http, web.page_url(space.id))
        try:
            await listener.dial()
            frequency, _ = dominant_frequency(await listener.hear(1.0))
            on = next((edge.config.name for edge in edges.edges if edge.viewers.get(space.id)), "an edge")
            say("a browser", f"plays the listen page through Janus ({on}) and hears hana's {frequency:.0f} Hz tone")
        finally:
            talk.cancel()
            await asyncio.gather(talk, return_exceptions=True)
            await listener.hang_up()
