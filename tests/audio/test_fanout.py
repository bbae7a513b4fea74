"""SrtpFanout with real aiortc peers on the loopback: what each listener gets on the wire, and who can stall it.

The server side here is the smallest one that uses the fan-out: an aiortc peer per listener whose track never
yields (so aiortc's sender sends no RTP of its own), handed to ``SrtpFanout`` once connected. The listeners are
ordinary aiortc peers; what reaches them is recorded where aiortc hands a parsed, SRTP-checked packet to the
receiver (a private hook, in these tests only).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtcpSrPacket, RtpPacket
from av import AudioFrame

from spaces_core.audio.codec import OpusEncoder
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE, Pcm
from spaces_core.audio.relay import RelayHub
from spaces_core.webrtc import compat
from spaces_core.webrtc.fanout import FanoutLeg, SrtpFanout
from spaces_core.webrtc.ice import gather_host_candidates

LOOPBACK = "127.0.0.1"


def tone(index: int, frequency: float = 440.0) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    mono = (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    return np.repeat(mono[:, None], CHANNELS, axis=1)


class ToneSource:
    """The mix: a 440 Hz tone encoded once per 20 ms and published to the hub; remembers every payload."""

    def __init__(self) -> None:
        self.hub = RelayHub()
        self.published: dict[int, bytes] = {}  # the frame's 48 kHz timestamp -> its Opus payload
        self._encoder = OpusEncoder()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.hub.stop()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        for index in range(1 << 30):
            frame = self.hub.publish(self._encoder.encode(tone(index)))
            self.published[frame.timestamp] = frame.payload
            deadline += FRAME_SECONDS
            await asyncio.sleep(max(0.0, deadline - loop.time()))


class ParkedTrack(MediaStreamTrack):
    """A sender's track that never yields a frame: aiortc's sender stays idle, RTP is the fan-out's alone."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._stopped = asyncio.Event()

    async def recv(self) -> Any:
        await self._stopped.wait()
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        self._stopped.set()


class Listener:
    """A receive-only aiortc peer, and its server-side peer whose media the fan-out sends."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver("audio", direction="recvonly")
        self.server = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.packets: list[RtpPacket] = []
        self.reports: list[RtcpSrPacket] = []
        self.track: MediaStreamTrack | None = None

    async def connect(self) -> RTCRtpTransceiver:
        await gather_host_candidates(self.pc, LOOPBACK)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.server.setRemoteDescription(self.pc.localDescription)
        transceiver = self.server.getTransceivers()[0]
        opus = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType.lower() == "audio/opus"]
        transceiver.setCodecPreferences(opus)
        self.server.addTrack(ParkedTrack())
        await gather_host_candidates(self.server, LOOPBACK)
        await self.server.setLocalDescription(await self.server.createAnswer())
        await self.pc.setRemoteDescription(RTCSessionDescription(self.server.localDescription.sdp, "answer"))
        self._record()
        await wait_until(lambda: self.pc.connectionState == self.server.connectionState == "connected")
        await wait_until(lambda: transceiver.sender.transport.state == "connected")
        return transceiver

    async def join(self, fanout: SrtpFanout) -> FanoutLeg:
        leg = fanout.add(await self.connect())
        assert leg is not None
        return leg

    def _record(self) -> None:
        receiver = self.pc.getReceivers()[0]
        self.track = receiver.track
        on_rtp, on_rtcp = compat.aiortc.receiver_handlers(receiver)

        async def rtp(packet: RtpPacket, arrival_time_ms: int) -> None:
            self.packets.append(packet)
            await on_rtp(packet, arrival_time_ms)

        async def rtcp(packet: Any) -> None:
            if isinstance(packet, RtcpSrPacket):
                self.reports.append(packet)
            await on_rtcp(packet)

        compat.aiortc.set_receiver_handlers(receiver, rtp, rtcp)

    async def close(self) -> None:
        await self.pc.close()
        await self.server.close()


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


def assert_in_order(packets: list[RtpPacket]) -> None:
    """Every packet once, numbered one after another, 960 samples (20 ms) apart, from one SSRC."""
    steps = {(b.sequence_number - a.sequence_number) & 0xFFFF for a, b in itertools.pairwise(packets)}
    stamps = {(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in itertools.pairwise(packets)}
    assert steps == {1}
    assert stamps == {FRAME_SAMPLES}
    assert len({p.ssrc for p in packets}) == 1


def frames_heard(listener: Listener, leg: FanoutLeg) -> set[int]:
    """The hub's frame timestamps of what ``listener`` received."""
    return {(p.timestamp - leg.timestamp_origin) & 0xFFFFFFFF for p in listener.packets}


def dominant_frequency(frames: list[AudioFrame]) -> float:
    pcm = np.concatenate([frame.to_ndarray().reshape(-1, CHANNELS) for frame in frames]).astype(np.float32)
    mono = pcm.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono))
    return float((int(np.argmax(spectrum[1:])) + 1) * SAMPLE_RATE / len(mono))


@pytest.fixture
async def source() -> AsyncIterator[ToneSource]:
    source = ToneSource()
    source.start()
    yield source
    await source.stop()


@pytest.fixture
async def fanout(source: ToneSource, compiled: bool) -> AsyncIterator[SrtpFanout]:
    fanout = SrtpFanout(source.hub, compiled=compiled)
    assert fanout.compiled == compiled
    yield fanout
    await fanout.close()


@pytest.fixture
async def listeners() -> AsyncIterator[Callable[[int], list[Listener]]]:
    made: list[Listener] = []

    def make(count: int) -> list[Listener]:
        made.extend(Listener() for _ in range(count))
        return made[-count:]

    yield make
    await asyncio.gather(*(listener.close() for listener in made))


async def test_a_listener_decodes_the_tone_sent_through_srtp(
    fanout: SrtpFanout, listeners: Callable[[int], list[Listener]]
) -> None:
    (listener,) = listeners(1)
    leg = await listener.join(fanout)
    assert listener.track is not None
    frames: list[AudioFrame] = []
    async with asyncio.timeout(10):
        while len(frames) < 75:
            frame = await listener.track.recv()
            assert isinstance(frame, AudioFrame)
            frames.append(frame)

    assert abs(dominant_frequency(frames[25:]) - 440) <= 2  # one second, after the decoder settled
    assert leg.packets >= len(listener.packets) >= 75
    assert {p.ssrc for p in listener.packets} == {leg.ssrc}


async def test_several_listeners_get_the_same_packets_in_order(
    source: ToneSource, fanout: SrtpFanout, listeners: Callable[[int], list[Listener]]
) -> None:
    group = listeners(3)
    legs = [await listener.join(fanout) for listener in group]
    await wait_until(lambda: all(len(listener.packets) >= 60 for listener in group))

    assert fanout.count == 3
    assert len({leg.ssrc for leg in legs}) == 3  # each its own stream, as each sender negotiated
    for listener, leg in zip(group, legs, strict=True):
        assert_in_order(listener.packets)
        assert listener.packets[0].marker == 1 and not any(p.marker for p in listener.packets[1:])
        for packet in listener.packets:
            # The listener's timestamps are the hub's frame timestamps shifted by its own random origin, and
            # each carries exactly the bytes the one encoder produced for that frame.
            frame_timestamp = (packet.timestamp - leg.timestamp_origin) & 0xFFFFFFFF
            assert packet.payload == source.published[frame_timestamp]
    heard = [frames_heard(listener, leg) for listener, leg in zip(group, legs, strict=True)]
    assert len(set.intersection(*heard)) >= 40  # the same frames, at the same time


async def test_sender_reports_count_what_the_fanout_sent(
    fanout: SrtpFanout, listeners: Callable[[int], list[Listener]]
) -> None:
    (listener,) = listeners(1)
    leg = await listener.join(fanout)
    await wait_until(lambda: len(listener.reports) >= 1, seconds=12)  # one every 5 s, the first within 5 s

    report = listener.reports[-1]
    assert report.ssrc == leg.ssrc
    info = report.sender_info
    sent = [p for p in listener.packets if ((p.timestamp - info.rtp_timestamp) & 0xFFFFFFFF) >= 1 << 31]
    sent.extend(p for p in listener.packets if p.timestamp == info.rtp_timestamp)
    # The report describes the stream up to the packet whose timestamp it names: as many packets, as many bytes.
    assert info.packet_count == len(sent) > 0
    assert info.octet_count == sum(len(p.payload) for p in sent)
    assert info.ntp_timestamp > 0


async def test_a_listener_that_disconnects_is_removed(
    fanout: SrtpFanout, listeners: Callable[[int], list[Listener]]
) -> None:
    staying, leaving = listeners(2)
    kept = await staying.join(fanout)
    gone = await leaving.join(fanout)
    await wait_until(lambda: len(leaving.packets) >= 10)

    before = len(staying.packets)
    await leaving.pc.close()  # DTLS close_notify: the server's transport closes
    await wait_until(lambda: gone.closed and fanout.count == 1)
    await wait_until(lambda: len(staying.packets) >= before + 50)

    assert fanout.legs == [kept]
    assert gone.socket.fileno() == -1  # our handle on its socket is released
    assert_in_order(staying.packets)


async def test_a_listener_whose_peer_vanished_does_not_hold_up_the_others(
    fanout: SrtpFanout, listeners: Callable[[int], list[Listener]]
) -> None:
    first, vanished, last = listeners(3)
    legs = [await listener.join(fanout) for listener in (first, vanished, last)]
    await wait_until(lambda: len(vanished.packets) >= 10)

    # The listener's machine drops off the network: its socket is gone, nobody says goodbye, and the server
    # keeps sending into the void until ICE consent expires (30 s).
    ice = compat.aiortc.ice_connection(vanished.pc.getTransceivers()[0].receiver.transport.transport)
    for pair in compat.aioice.nominated_pairs(ice).values():
        pair.protocol.transport.close()
    counts = [len(first.packets), len(last.packets)]
    await wait_until(lambda: all(len(lst.packets) >= n + 50 for lst, n in zip((first, last), counts, strict=True)))

    assert fanout.count == 3 and legs[1].packets >= 60  # still sent to: nobody told the server
    for listener in (first, last):
        assert_in_order(listener.packets)  # every frame, in order, before and after the other one vanished


async def test_a_broken_socket_drops_that_listener_only(
    fanout: SrtpFanout, listeners: Callable[[int], list[Listener]]
) -> None:
    healthy, broken = listeners(2)
    await healthy.join(fanout)
    leg = await broken.join(fanout)
    await wait_until(lambda: len(broken.packets) >= 5)

    leg.socket.close()  # the next sendto on it fails (EBADF)
    await wait_until(lambda: leg.closed)
    before = len(healthy.packets)
    await wait_until(lambda: len(healthy.packets) >= before + 25)

    assert fanout.count == 1 and fanout.legs_failed == 1 and leg.send_errors == 1
    assert_in_order(healthy.packets)


async def test_a_full_socket_loses_its_own_packets_and_nobody_waits(
    tmp_path: Path, fanout: SrtpFanout, listeners: Callable[[int], list[Listener]]
) -> None:
    healthy, stalled = listeners(2)
    await healthy.join(fanout)
    leg = await stalled.join(fanout)
    # A loopback UDP send never blocks, so the stalled listener's socket is replaced by a local datagram socket
    # whose reader never reads: once its queue is full the kernel refuses sends with EAGAIN, as a congested
    # interface would.
    never_read = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    never_read.bind(str(tmp_path / "never-read"))
    full = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    full.setblocking(False)
    with contextlib.suppress(BlockingIOError):
        while True:
            full.sendto(b"x" * 100, str(tmp_path / "never-read"))
    leg.socket.close()
    leg.socket, leg.sendto, leg.address = full, full.sendto, str(tmp_path / "never-read")  # type: ignore[assignment]
    before, sent = len(healthy.packets), leg.packets
    try:
        await wait_until(lambda: leg.dropped >= 25 and len(healthy.packets) >= before + 25)
    finally:
        never_read.close()

    assert leg.packets == sent  # refused, counted as dropped, not retried
    assert fanout.count == 2 and not leg.closed  # a full buffer is congestion, not a dead listener
    assert_in_order(healthy.packets)


async def test_a_listener_not_yet_connected_stays_with_aiortc(
    source: ToneSource, listeners: Callable[[int], list[Listener]]
) -> None:
    (listener,) = listeners(1)
    await gather_host_candidates(listener.pc, LOOPBACK)
    await listener.pc.setLocalDescription(await listener.pc.createOffer())
    await listener.server.setRemoteDescription(listener.pc.localDescription)
    fanout = SrtpFanout(source.hub)
    try:
        assert fanout.add(listener.server.getTransceivers()[0]) is None  # no DTLS yet, so no SRTP keys
        assert fanout.count == 0 and source.hub.subscriptions == 0
    finally:
        await fanout.close()
    connected = Listener()
    try:
        transceiver = await connected.connect()
        assert fanout.add(transceiver) is None  # closed: refuses new listeners
    finally:
        await connected.close()
