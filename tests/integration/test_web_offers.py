"""The listen page's signalling over real HTTP against the real web server: bad offers, crowds, slow sockets.

A malformed offer is the client's mistake (400 with the reason), not the server being down (503); the per-Space
cap holds however many offers arrive at once; a connection that never finishes its request is closed while
everyone else is served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.web import LinkSigner, WebServer
from spaces_core.webrtc.ice import gather_host_candidates
from tests.unit.builders import live_space

LOOPBACK = "127.0.0.1"
CAP = 100
IDLE = 2.0  # the server's idle timeout here: short, so the slow sockets' closing is waited for briefly


@dataclass
class Site:
    web: WebServer
    room: SpaceAudio

    @property
    def offer_url(self) -> str:
        return f"{self.web.listen_url(self.room.space)}/offer"


@contextlib.asynccontextmanager
async def serving(**options: float) -> AsyncIterator[Site]:
    audio = AudioRooms(web_host=LOOPBACK, web_listeners_per_space=CAP)
    room = audio.open(live_space())
    web = WebServer(audio, LinkSigner("test secret"), host=LOOPBACK, port=0, name_of=lambda g, u: str(u), **options)
    await web.start()
    try:
        yield Site(web, room)
    finally:
        await web.stop()
        await audio.stop()


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """With the server's own idle timeout: hundreds of offers at once on a busy machine may wait longer than IDLE."""
    async with serving() as site:
        yield site


@pytest.fixture
async def impatient_site() -> AsyncIterator[Site]:
    async with serving(idle_timeout=IDLE) as site:
        yield site


async def offer_of(kind: str = "audio") -> tuple[RTCPeerConnection, str]:
    """A real aiortc peer's offer to receive `kind`, with its host candidate on the loopback."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(kind, direction="recvonly")
    await gather_host_candidates(pc, LOOPBACK)
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def post(http: aiohttp.ClientSession, url: str, body: Any, raw: bool = False) -> tuple[int, str]:
    data = body if raw else json.dumps(body)
    async with http.post(url, data=data, headers={"Content-Type": "application/json"}) as response:
        return response.status, await response.text()


async def test_malformed_offers_are_400_with_the_reason_and_add_no_listener(site: Site) -> None:
    audio_pc, good = await offer_of("audio")
    video_pc, video_only = await offer_of("video")
    audio_section = good[good.index("m=audio") :]
    without_opus = re.sub(r"(m=audio \d+ UDP/TLS/RTP/SAVPF) [\d ]+", r"\1 0", good)
    without_opus = without_opus.replace("a=rtpmap:96 opus/48000/2\r\n", "")
    cases: list[tuple[Any, bool, str]] = [
        (b"{not json", True, "must be JSON"),
        (b"[" * 60_000, True, "must be JSON"),
        (["sdp", good], False, "not a list"),
        ({"sdp": None}, False, "it is null"),
        ({"sdp": 5}, False, "it is a number"),
        ({"sdp": ""}, False, "it is empty"),
        ({"offer": good}, False, "it is missing"),
        ({"sdp": "hello, I would like to listen"}, False, "not SDP"),
        ({"sdp": "v=0\r\nm=audio x\r\n"}, False, "not valid SDP"),
        ({"sdp": good.replace("a=ice-ufrag", "a=x-ufrag")}, False, "ICE username fragment"),
        ({"sdp": video_only}, False, "no audio"),
        ({"sdp": without_opus}, False, "no Opus"),
        ({"sdp": good + audio_section * 50}, False, "51 media sections"),
    ]
    try:
        async with aiohttp.ClientSession() as http:
            for body, raw, reason in cases:
                status, text = await post(http, site.offer_url, body, raw)
                assert (status, reason in text) == (400, True), (body if raw else str(body)[:80], status, text)
                assert "None" not in text
            assert site.room.listeners.count == 0
            status, text = await post(http, site.offer_url, {"sdp": good})
            assert status == 200 and json.loads(text)["sdp"].startswith("v=0")
            assert site.room.listeners.count == 1
            status, text = await post(http, f"{site.web.base_url}/spaces/nope/offer", {"sdp": good})
            assert status == 404 and "not live" in text
    finally:
        await audio_pc.close()
        await video_pc.close()


async def test_a_full_or_ended_space_stays_503(site: Site) -> None:
    pc, sdp = await offer_of()
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(CAP):
                assert (await post(http, site.offer_url, {"sdp": sdp}))[0] == 200
            status, text = await post(http, site.offer_url, {"sdp": sdp})
            assert status == 503 and "as many web listeners as it can take" in text
            await site.room.listeners.close_all()
            status, text = await post(http, site.offer_url, {"sdp": sdp})
            assert status == 503 and "ended" in text
    finally:
        await pc.close()


async def test_concurrent_offers_never_overshoot_the_cap(site: Site) -> None:
    peers = [await offer_of() for _ in range(3 * CAP)]
    try:
        # No client-side connection limit (aiohttp's default is 100): every offer is in flight at once.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            results = await asyncio.gather(*(post(http, site.offer_url, {"sdp": sdp}) for _, sdp in peers))
    finally:
        await asyncio.gather(*(pc.close() for pc, _ in peers))
    statuses = [status for status, _ in results]
    assert statuses.count(200) == CAP, sorted(set(statuses))
    assert statuses.count(503) == 2 * CAP
    assert site.room.listeners.count == CAP


async def test_offers_that_fail_after_taking_a_place_give_it_back(site: Site) -> None:
    pc, good = await offer_of()
    broken = good.replace("a=ice-ufrag", "a=x-ufrag")  # passes the text checks, fails in aiortc's parser
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            failed = await asyncio.gather(*(post(http, site.offer_url, {"sdp": broken}) for _ in range(2 * CAP)))
            assert {status for status, _ in failed} == {400}
            accepted = await asyncio.gather(*(post(http, site.offer_url, {"sdp": good}) for _ in range(CAP)))
            assert {status for status, _ in accepted} == {200}
            assert (await post(http, site.offer_url, {"sdp": good}))[0] == 503
    finally:
        await pc.close()


@dataclass
class SlowClient:
    """A client that starts a request and never finishes its headers (some send one more byte now and then)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    drip: asyncio.Task[None] | None

    @classmethod
    async def connect(cls, port: int, partial: bytes, *, trickle: bool) -> SlowClient:
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
        writer.write(partial)
        return cls(reader, writer, asyncio.create_task(cls._drip(writer)) if trickle else None)

    @staticmethod
    async def _drip(writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while not writer.is_closing():
                await asyncio.sleep(0.2)
                writer.write(b"X")
                await writer.drain()

    async def close(self) -> None:
        if self.drip is not None:
            self.drip.cancel()
            await asyncio.gather(self.drip, return_exceptions=True)
        self.writer.close()


async def test_connections_that_never_finish_their_headers_are_closed_while_others_are_served(
    impatient_site: Site,
) -> None:
    site = impatient_site
    partial = f"POST /spaces/{site.room.space.id}/offer HTTP/1.1\r\nHost: {LOOPBACK}\r\nX-Slow: ".encode()
    slow = [await SlowClient.connect(site.web.port, partial, trickle=index % 10 == 0) for index in range(100)]
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(5):  # served meanwhile, each on a fresh connection
                async with http.get(site.web.listen_url(site.room.space), headers={"Connection": "close"}) as page:
                    assert page.status == 200
        # Closed by the server: each reader sees the end of the stream (waited for, well past the idle timeout).
        async with asyncio.timeout(60):
            leftovers = await asyncio.gather(*(client.reader.read() for client in slow))
        assert not any(leftovers)  # closed without an answer: there was no request to answer
    finally:
        await asyncio.gather(*(client.close() for client in slow))


async def test_an_offer_whose_body_never_arrives_is_answered_408(impatient_site: Site) -> None:
    site = impatient_site
    head = (
        f"POST /spaces/{site.room.space.id}/offer HTTP/1.1\r\nHost: {LOOPBACK}\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
        '{"sdp": "v=0'
    )
    slow = [await SlowClient.connect(site.web.port, head.encode(), trickle=index % 2 == 0) for index in range(10)]
    try:
        async with asyncio.timeout(60):
            answers = await asyncio.gather(*(client.reader.read() for client in slow))
        for answer in answers:
            assert answer.startswith(b"HTTP/1.1 408") and b"took too long to arrive" in answer, answer[:200]
    finally:
        await asyncio.gather(*(client.close() for client in slow))
