"""A listen page's audio through a Janus edge, as an aiortc peer: what bot/web/static/listen_edge.js does (the demo
and tests/janus/ play through edges with it).

It asks the bot for an edge's offer (``POST /spaces/{id}/edge``), answers it (``POST .../edge/{listener}``) and
plays. Like the page, it dials again when the audio stops for ``STALL_SECONDS`` (its edge died) or the bot says no
edge is ready yet.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from av import AudioFrame

from spaces_core.audio.format import CHANNELS, SAMPLE_RATE, Pcm

STALL_SECONDS = 3.0  # as the page: a second of silence can be a hiccup, three is a dead edge


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status, self.reason = status, reason


class EdgeListener:
    def __init__(self, http: aiohttp.ClientSession, page_url: str, ticket: str = "") -> None:
        self._http, self._page_url = http, page_url
        self._query = {"ticket": ticket} if ticket else {}
        self.pc: RTCPeerConnection | None = None
        self.track: MediaStreamTrack | None = None
        self.dials = 0

    async def dial(self) -> None:
        """One connection through whichever edge the bot picks; Refused with the bot's reason if it will not."""
        await self.hang_up()
        async with self._http.post(f"{self._page_url}/edge", params=self._query) as response:
            if response.status != 200:
                raise Refused(response.status, await response.text())
            offer = await response.json()
        pc = self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        url = f"{self._page_url}/edge/{offer['listener']}"
        async with self._http.post(url, params=self._query, json={"sdp": pc.localDescription.sdp}) as response:
            if response.status != 204:
                raise Refused(response.status, await response.text())
        self.track = pc.getReceivers()[0].track
        self.dials += 1

    async def hear(self, seconds: float, *, redial_within: float = 60.0) -> Pcm:
        """``seconds`` of audio, dialling again (as the page does) whenever it stalls; gives up after
        ``redial_within`` seconds without a working connection."""
        received: list[AudioFrame] = []
        async with asyncio.timeout(redial_within + seconds):
            while sum(frame.samples for frame in received) < seconds * SAMPLE_RATE:
                if self.track is None:
                    await self._redial()
                    continue
                try:
                    async with asyncio.timeout(STALL_SECONDS):
                        frame = await self.track.recv()
                except Exception:  # TimeoutError: silence; MediaStreamError: the connection closed
                    received.clear()  # the audio before a stall and after it are not one tone to measure
                    self.track = None
                    continue
                assert isinstance(frame, AudioFrame)
                received.append(frame)
        samples = np.concatenate([frame.to_ndarray().reshape(-1, CHANNELS) for frame in received])
        return samples.astype(np.float32) / 32768.0

    async def _redial(self) -> None:
        while True:
            try:
                await self.dial()
                return
            except Refused as refused:
                if refused.status != 503:  # no edge ready (yet): the page tries again shortly
                    raise
            await asyncio.sleep(0.5)

    async def hang_up(self) -> None:
        pc, self.pc, self.track = self.pc, None, None
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()


def dominant_frequency(pcm: Pcm) -> tuple[float, float]:
    """(frequency, amplitude) of the strongest bin of the mono mix."""
    mono = pcm.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono)) * 2 / len(mono)
    peak = int(np.argmax(spectrum[1:])) + 1
    return peak * SAMPLE_RATE / len(mono), float(spectrum[peak])
