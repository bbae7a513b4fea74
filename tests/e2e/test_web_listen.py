"""Web listeners: the listen page's signalling with a real aiortc peer, live state, share link, ticketed links."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from bot.audio.rooms import AudioRooms
from bot.web import LinkSigner, WebServer
from demo.world import World
from sandbox.speech import encode_opus, tone
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_audio_receive import dominant_hz, in_space, level_at, room_of


class WebListener:
    """What the listen page does, with aiortc: one receive-only audio offer, then the decoded audio."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self.pc.on("track", lambda track: self.track.done() or self.track.set_result(track))

    async def connect(self, url: str) -> None:
        self.pc.addTransceiver("audio", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with aiohttp.ClientSession() as http, http.post(url, json={"sdp": self.pc.localDescription.sdp}) as r:
            assert r.status == 200, await r.text()
            answer = (await r.json())["sdp"]
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    async def hear(self, seconds: float) -> np.ndarray:
        track = await asyncio.wait_for(self.track, 10)
        samples: list[np.ndarray] = []
        while sum(len(s) for s in samples) < seconds * 48_000:
            frame = await asyncio.wait_for(track.recv(), 5)
            samples.append(frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0].astype(np.float32))
        return np.concatenate(samples)


async def test_a_web_listener_hears_the_speakers_and_not_who_was_moved_to_the_audience(world: World) -> None:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert web is not None
    shared = await world.slash(world.stage_id, world["lee"], "space share")
    assert web.listen_url(space) in (shared.content or "")

    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await eventually(lambda: in_space(world, "present", "cole"))
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: in_space(world, "queue", "cole"))
    await world.slash(world.stage_id, world["hana"], "stage approve", member=world["cole"])

    listener = WebListener()
    try:
        await listener.connect(f"{web.listen_url(space)}/offer")
        talk = [
            asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 4.0)))),
            asyncio.create_task(world.server.speak(world.guild_id, world["cole"], encode_opus(tone(1000, 4.0)))),
        ]
        await listener.hear(0.5)  # connection set-up and the jitter buffers filling
        both = await listener.hear(0.6)
        await world.slash(world.stage_id, world["hana"], "stage move", member=world["cole"])
        await listener.hear(0.25)  # what was already on its way to the listener
        after = await listener.hear(0.6)
        await asyncio.gather(*talk)
    finally:
        await listener.pc.close()

    assert level_at(both, 440) > 0.3 and level_at(both, 1000) > 0.3
    assert abs(dominant_hz(after) - 440) < 5
    assert level_at(after, 1000) < 0.01


async def test_the_event_stream_shows_speakers_and_listeners(world: World) -> None:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert web is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(web.listen_url(space)) as page:
            assert page.status == 200 and "RTCPeerConnection" in await page.text()
        async with http.get(f"{web.listen_url(space)}/events") as events:
            line = await asyncio.wait_for(events.content.readline(), 5)
        state = json.loads(line.decode().removeprefix("data: "))
        assert state["title"] == "Friday AMA"
        assert [s["name"] for s in state["speakers"]] == ["hana"]
        async with http.get(f"{web.base_url}/spaces/nope/events") as missing:
            assert missing.status == 404


async def test_a_ticketed_space_refuses_forged_and_expired_links(world: World) -> None:
    await start_space(world)
    await room_of(world)
    space = await live_space(world)
    audio = world.bot.bot.app.audio
    assert isinstance(audio, AudioRooms)
    now = [time.time()]
    signer = LinkSigner("test secret", clock=lambda: now[0])
    web = WebServer(audio, signer, host="127.0.0.1", port=0, name_of=lambda g, u: str(u), ticketed=lambda s: True)
    await web.start()
    try:
        good = signer.sign(space.id, world["cole"], ttl_seconds=60)
        forged = good[:-1] + ("0" if good[-1] != "0" else "1")
        other = LinkSigner("another secret").sign(space.id, world["cole"])
        url = f"{web.listen_url(space)}/events"
        async with aiohttp.ClientSession() as http:
            for ticket in ("", forged, other):
                async with http.get(url, params={"ticket": ticket}) as refused:
                    assert refused.status == 403
            async with http.get(url, params={"ticket": good}) as accepted:
                assert accepted.status == 200
            now[0] += 120
            async with http.get(url, params={"ticket": good}) as expired:
                assert expired.status == 403 and "expired" in await expired.text()
    finally:
        await web.stop()
