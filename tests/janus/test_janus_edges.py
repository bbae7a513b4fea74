"""Web listeners through two real Janus edges: the bot's sink feeds both, each hears the Space's tone, and when an
edge dies mid-Space its listeners move to the other one; a Space ending destroys its mountpoints; a forged link
gets no stream; the listen page in Chromium plays through an edge and moves on when it dies.

The bot's real parts: its audio room (mix engine, relay hub), its web server with the edge routes, the edges as
bot/bootstrap/janus.py wires them from ``JANUS_EDGES``. The listeners are aiortc peers doing what the page does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import numpy as np
import pytest

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.bootstrap.janus import janus_edges
from bot.settings import Settings
from bot.web import LinkSigner, WebServer
from demo.edge_listener import EdgeListener, Refused, dominant_frequency
from spaces_core.audio.codec import OpusEncoder
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE, Pcm
from spaces_core.audio.jitter import RtpAudio
from spaces_core.domain.space import Space
from spaces_core.webrtc.janus import Edges, JanusError, JanusSession
from tests.browser.chromium import Chromium, chromium_binary
from tests.janus.conftest import Namespace
from tests.missing import CHROMIUM
from tests.unit import builders

LOOPBACK = "127.0.0.1"
TONE_HZ = 440.0
WEB_LISTENERS = "document.getElementById('listeners').textContent.split(' · ')[1]"


def tone(index: int) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    mono = (0.5 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
    return np.repeat(mono[:, None], CHANNELS, axis=1)


async def speak(room: SpaceAudio, speaker: int) -> None:
    """The host's Discord client: a 440 Hz tone into the room's mix, one Opus packet every 20 ms."""
    encoder, loop = OpusEncoder(), asyncio.get_running_loop()
    deadline = loop.time()
    for index in range(1 << 30):
        packet = RtpAudio(sequence=index & 0xFFFF, timestamp=index * FRAME_SAMPLES, payload=encoder.encode(tone(index)))
        room.engine.push(speaker, packet, arrival=loop.time())
        deadline += FRAME_SECONDS
        await asyncio.sleep(max(0.0, deadline - loop.time()))


async def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.05)


@dataclass
class Bot:
    audio: AudioRooms
    web: WebServer
    edges: Edges
    space: Space
    room: SpaceAudio
    http: aiohttp.ClientSession

    def listener(self, ticket: str = "") -> EdgeListener:
        return EdgeListener(self.http, self.web.page_url(self.space.id), ticket)

    def viewers(self, edge: int) -> int:
        return self.edges.edges[edge].viewers.get(self.space.id, 0)


@pytest.fixture
async def bot(two_edges: Namespace) -> AsyncIterator[Bot]:
    """The bot with ``JANUS_EDGES`` naming both edges, a live ticketed Space whose host plays a tone."""
    urls = ",".join(f"{x.url}@{x.rtp_host}" for x in map(two_edges.config, ["edge1", "edge2"]))
    settings = Settings(discord_token="unused", janus_edges=urls)
    audio = AudioRooms(web_host=LOOPBACK)
    edges = janus_edges(settings, audio)
    assert edges is not None
    signer = LinkSigner("test secret")
    web = WebServer(audio, signer, host=LOOPBACK, port=0, ticketed=lambda space: True, edges=edges)
    await web.start()
    space = builders.live_space()
    room = audio.open(space)
    speaker = asyncio.create_task(speak(room, space.host_id))
    http = aiohttp.ClientSession()
    try:
        yield Bot(audio, web, edges, space, room, http)
    finally:
        speaker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await speaker
        await http.close()
        await audio.stop()
        await web.stop()


def ticket(bot: Bot, member: int) -> str:
    return LinkSigner("test secret").sign(bot.space.id, member)


async def test_listeners_through_two_edges_hear_the_tone_and_move_when_one_dies(bot: Bot, two_edges: Namespace) -> None:
    await wait_until(lambda: all(bot.space.id in edge.mountpoints for edge in bot.edges.edges))
    first, second = bot.listener(ticket(bot, 10)), bot.listener(ticket(bot, 11))
    await first.dial()
    await second.dial()  # the least loaded edge: the other one
    for listener in (first, second):
        frequency, amplitude = dominant_frequency(await listener.hear(1.0))
        assert abs(frequency - TONE_HZ) < 5 and amplitude > 0.05
    await wait_until(lambda: bot.viewers(0) == 1 and bot.viewers(1) == 1)  # as Janus counts them
    assert bot.room.web_listeners == 2

    two_edges.kill("edge1")  # mid-Space: its listener's audio stops; the page dials again and gets edge2
    heard = await asyncio.gather(first.hear(1.0), second.hear(1.0))
    for pcm in heard:
        frequency, amplitude = dominant_frequency(pcm)
        assert abs(frequency - TONE_HZ) < 5 and amplitude > 0.05
    assert first.dials + second.dials == 3  # exactly one of them moved
    await wait_until(lambda: bot.viewers(1) == 2 and not bot.edges.edges[0].up)
    assert bot.room.web_listeners == 2

    await asyncio.to_thread(two_edges.start, "edge1")  # back: it gets the live Space's mountpoint again
    await wait_until(lambda: bot.space.id in bot.edges.edges[0].mountpoints)
    for listener in (first, second):
        await listener.hang_up()


async def test_a_space_ending_destroys_its_mountpoints(bot: Bot, two_edges: Namespace) -> None:
    await wait_until(lambda: all(bot.space.id in edge.mountpoints for edge in bot.edges.edges))
    mountpoint = bot.edges.mountpoint(bot.space.id)
    assert mountpoint is not None
    async with aiohttp.ClientSession() as http:
        janus = JanusSession(http, two_edges.config("edge2").url)
        await janus.open()
        handle = await janus.attach("janus.plugin.streaming")
        info = {"request": "info", "id": mountpoint}
        assert (await janus.request(handle, info))["info"]["id"] == mountpoint  # it exists on the edge
        await bot.audio.close(bot.space.id)

        async def gone() -> bool:
            try:
                await janus.request(handle, info)
            except JanusError as error:
                return "455" in str(error)  # JANUS_STREAMING_ERROR_NO_SUCH_MOUNTPOINT
            return False

        async with asyncio.timeout(20):
            while not await gone():
                await asyncio.sleep(0.1)
        await janus.close()
    assert not any(edge.mountpoints for edge in bot.edges.edges)


async def test_a_forged_or_missing_link_gets_no_stream(bot: Bot) -> None:
    await wait_until(lambda: all(bot.space.id in edge.mountpoints for edge in bot.edges.edges))
    forged = ticket(bot, 10)[:-4] + "0000"
    for link in (forged, ""):
        with pytest.raises(Refused) as refused:
            await bot.listener(link).dial()
        assert refused.value.status == 403
    url = f"{bot.web.page_url(bot.space.id)}/edge/not-a-listener"  # nor can an answer start someone's stream
    async with bot.http.post(url, params={"ticket": ticket(bot, 10)}, json={"sdp": "v=0"}) as response:
        assert response.status == 410
    # Nothing reached Janus: the viewers it reports (read every second) are nobody on either edge.
    await wait_until(lambda: bot.edges.edges[0].viewers.get(bot.space.id) == 0)
    assert bot.viewers(0) == bot.viewers(1) == 0


@pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
async def test_the_listen_page_plays_through_an_edge_and_moves_when_it_dies(bot: Bot, two_edges: Namespace) -> None:
    await wait_until(lambda: all(bot.space.id in edge.mountpoints for edge in bot.edges.edges))
    browser = Chromium()
    try:
        await browser.open(bot.web.personal_url(bot.space.id, 10))
        await wait_until_true(browser, "document.getElementById('title')?.textContent === 'Friday jam'")
        await browser.evaluate("document.getElementById('play').click()")
        await wait_until_true(browser, "window.spaces.connected === true")
        await wait_until_true(browser, "Math.abs(window.spaces.peakHz() - 440) < 12")
        await wait_until_true(browser, f"{WEB_LISTENERS} === '1 on the web'")  # the count Janus reports
        on = next(number for number in (0, 1) if bot.viewers(number) == 1)
        two_edges.kill(f"edge{on + 1}")
        await wait_until(lambda: bot.viewers(1 - on) == 1, 30)  # the page dialled the other edge by itself
        await wait_until_true(browser, "window.spaces.connected === true")
        await wait_until_true(browser, "Math.abs(window.spaces.peakHz() - 440) < 12")
    finally:
        await browser.close()


async def wait_until_true(browser: Chromium, expression: str, seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while await browser.evaluate(expression) is not True:
            await asyncio.sleep(0.1)
