"""The listeners' side of bench_listeners: N aiortc peers in a child process, timing every RTP packet they get.

Run by bench_listeners (``--peers N``), never by hand. It talks JSON lines on stdin/stdout: it sends offers in
batches and waits for each batch's answers and connections, says ``ready``, measures when told, and prints the
per-listener figures.

Two kinds of listener, both real aiortc peers that did their own ICE and DTLS handshake with the server:
- ``full`` (the first few): aiortc's whole receive path — SRTP, jitter buffer, Opus decode, frames drained as a
  browser would play them; the decoded audio's strongest frequency is reported to show it is the tone.
- ``light`` (the rest): once connected, RTP datagrams are taken off the socket before aiortc's queues
  (``StunProtocol.datagram_received``, a private hook used here only), SRTP-checked with the peer's own session
  (``unprotect``; a failure is counted as ``bad``), timed and numbered. STUN and RTCP still go to aiortc, and each
  light peer sends a receiver report every ~5 s, as Chromium does for audio, so the server does the RTCP work a
  browser audience costs it. Why: receiving thousands of streams through aiortc's Python receive path costs
  several times what sending them costs, and the machine has two cores.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import gc
import json
import random
import selectors
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket, is_rtcp
from av import AudioFrame

from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE
from spaces_core.webrtc import compat
from spaces_core.webrtc.ice import gather_host_candidates

LOOPBACK = "127.0.0.1"
PIPE_LIMIT = 1 << 24
BATCH = 50  # offers per exchange: connecting thousands at once makes ICE and DTLS time out and retry
FULL_PEERS = 3
REPORT_INTERVAL = 5.0  # Chromium's audio RTCP interval
POLL_SECONDS = 0.002
SIOCGSTAMPNS = 0x8907  # linux/sockios.h: the kernel's receive time of the last datagram read from a socket


class BatchingSelector(selectors.EpollSelector):
    """Wakes every 2 ms and takes whatever arrived, instead of sleeping in epoll until the next datagram.

    On the loopback, a sender whose datagram lands on a socket a process is sleeping on pays for waking that
    process (an inter-processor interrupt, costly in a VM); listeners on other machines cost it nothing of the
    kind. Sleeping outside epoll keeps that artefact out of the server's CPU time, and reads in batches, which
    is what lets one core receive thousands of streams. Arrival times are therefore late by 0-2 ms each.
    """

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        time.sleep(POLL_SECONDS if timeout is None else min(timeout, POLL_SECONDS))
        return super().select(0)


def new_event_loop() -> asyncio.AbstractEventLoop:
    return asyncio.SelectorEventLoop(BatchingSelector())


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Arrivals:
    def __init__(self) -> None:
        self.times: list[float] = []  # when this process read each packet
        self.wire_times: list[float] = []  # when the kernel received it (light peers): the packet's arrival
        self.sequences: list[int] = []
        self.timestamps: list[int] = []
        self.bad = 0
        self.ssrc = 0
        self.tapped = False

    def clear(self) -> None:
        self.times.clear()
        self.wire_times.clear()
        self.sequences.clear()
        self.timestamps.clear()
        self.bad = 0

    def stats(self, seconds: float) -> dict[str, float]:
        # Loss counted in frames of audio (RTP timestamps 960 apart), not sequence numbers: a frame the server
        # skipped before numbering it (a queue that dropped it) is as lost to the listener as one lost on the wire.
        sequences = np.unwrap(np.array(self.sequences, dtype=np.float64), period=1 << 16)
        frames = np.unwrap(np.array(self.timestamps, dtype=np.float64), period=1 << 32) / FRAME_SAMPLES
        expected = int(frames.max() - frames.min()) + 1 if len(frames) else 0
        # Jitter from the arrival times the kernel stamped: the listener process's own delays in reading (up to
        # the 2 ms poll, and however long the shared cores keep it waiting) are not the server's.
        deltas = np.diff(self.wire_times) * 1000.0
        jitter = np.abs(deltas - FRAME_SECONDS * 1000.0).tolist()
        read_jitter = np.abs(np.diff(self.times) * 1000.0 - FRAME_SECONDS * 1000.0).tolist()
        return {
            "rate": len(self.times) / seconds,
            "lost": max(0, expected - len(set(frames.tolist()))),
            "lost_sequences": int(sequences.max() - sequences.min()) + 1 - len(set(sequences.tolist()))
            if len(sequences)
            else 0,
            "expected": expected,
            "p99_jitter_ms": percentile(jitter, 0.99),
            "p99_read_jitter_ms": percentile(read_jitter, 0.99),
            "max_gap_ms": float(deltas.max()) if len(deltas) else float("nan"),
            "bad": self.bad,
        }


class FullPeer:
    """aiortc's whole receive path; arrivals timed where the receiver gets each parsed packet."""

    def __init__(self, pc: RTCPeerConnection, arrivals: Arrivals) -> None:
        receiver = pc.getReceivers()[0]
        original, _ = compat.aiortc.receiver_handlers(receiver)

        async def timed(packet: Any, arrival_time_ms: int) -> None:
            arrivals.times.append(time.perf_counter())
            arrivals.sequences.append(packet.sequence_number)
            arrivals.timestamps.append(packet.timestamp)
            await original(packet, arrival_time_ms)

        compat.aiortc.set_receiver_handlers(receiver, timed)
        self.samples: list[np.ndarray] = []
        self.task = asyncio.create_task(self._play(receiver.track))

    async def _play(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                self.samples.append(frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0])
                del self.samples[:-100]  # the last two seconds
        except MediaStreamError:
            return

    def tone_hz(self) -> float:
        if not self.samples:
            return float("nan")
        mono = np.concatenate(self.samples).astype(np.float32)
        spectrum = np.abs(np.fft.rfft(mono))
        return float((int(np.argmax(spectrum[1:])) + 1) * SAMPLE_RATE / len(mono))


def nominated_protocol(pc: RTCPeerConnection) -> Any:
    """The aioice protocol (its socket) of the ICE pair this peer's media arrives on."""
    ice = compat.aiortc.ice_connection(pc.getReceivers()[0].transport.transport)
    return compat.aioice.nominated_pairs(ice)[1].protocol


def wire_clock(protocol: Any) -> Callable[[], float]:
    """The kernel's receive time of the datagram this peer's socket gave asyncio last (the one being handled)."""
    descriptor = protocol.transport.get_extra_info("socket").fileno()
    stamp = bytearray(16)
    ioctl, unpack_from = fcntl.ioctl, struct.Struct("qq").unpack_from

    def wire_time() -> float:
        ioctl(descriptor, SIOCGSTAMPNS, stamp)
        seconds, nanoseconds = unpack_from(stamp)
        return float(seconds + nanoseconds * 1e-9)

    return wire_time


def stamp_full(pc: RTCPeerConnection, arrivals: Arrivals) -> None:
    """A full peer's RTP arrival times off its socket; the packets go on through aiortc's whole receive path."""
    protocol = nominated_protocol(pc)
    original = protocol.datagram_received
    wire_time = wire_clock(protocol)

    def datagram_received(data: bytes, addr: Any) -> None:
        if 127 < data[0] < 192 and not is_rtcp(data):
            arrivals.wire_times.append(wire_time())
        original(data, addr)

    protocol.datagram_received = datagram_received


def tap_light(pc: RTCPeerConnection, arrivals: Arrivals) -> Callable[[], Awaitable[None]]:
    """Take RTP off this peer's socket before aiortc; returns the coroutine function that sends a report.

    Called as soon as ICE has a pair, before DTLS completes, so not one RTP packet reaches aiortc's receiver
    (which would then send its own receiver report every second, which no browser does).
    """
    dtls = pc.getReceivers()[0].transport
    protocol = nominated_protocol(pc)
    original = protocol.datagram_received
    perf_counter = time.perf_counter
    wire_time = wire_clock(protocol)

    def datagram_received(data: bytes, addr: Any) -> None:
        if 127 < data[0] < 192 and not is_rtcp(data):
            try:
                compat.aiortc.receive_srtp(dtls).unprotect(data)
            except Exception:
                arrivals.bad += 1
                return
            arrivals.times.append(perf_counter())
            arrivals.wire_times.append(wire_time())
            arrivals.sequences.append((data[2] << 8) | data[3])
            arrivals.timestamps.append(int.from_bytes(data[4:8], "big"))
            arrivals.ssrc = int.from_bytes(data[8:12], "big")
        else:
            original(data, addr)

    protocol.datagram_received = datagram_received
    own_ssrc = random.getrandbits(32)

    async def report() -> None:
        if not arrivals.sequences or dtls.state != "connected":
            return
        info = RtcpReceiverInfo(
            ssrc=arrivals.ssrc,
            fraction_lost=0,
            packets_lost=0,
            highest_sequence=arrivals.sequences[-1],
            jitter=0,
            lsr=0,
            dlsr=0,
        )
        await compat.aiortc.send_raw(dtls, bytes(RtcpRrPacket(ssrc=own_ssrc, reports=[info])))

    return report


async def _offer(
    batch: list[RTCPeerConnection], write: Callable[[Any], None], read: Callable[[], Awaitable[Any]]
) -> list[str | None]:
    for pc in batch:
        pc.addTransceiver("audio", direction="recvonly")
        await gather_host_candidates(pc, LOOPBACK)
        await pc.setLocalDescription(await pc.createOffer())
    write({"offers": [pc.localDescription.sdp for pc in batch]})
    return list((await read())["answers"])


async def _answer(
    batch: list[RTCPeerConnection], host: str, write: Callable[[Any], None], read: Callable[[], Awaitable[Any]]
) -> list[str | None]:
    """The server's offers for this batch, answered; the server hands the answers to its edge."""
    write({"want": len(batch)})
    offers = (await read())["offers"]
    for pc, offer in zip(batch, offers, strict=True):
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await gather_host_candidates(pc, host)
        await pc.setLocalDescription(await pc.createAnswer())
    write({"answers": [pc.localDescription.sdp for pc in batch]})
    return [None] * len(batch)


def on_ice(pc: RTCPeerConnection, record: Arrivals, reports: list[Callable[[], Awaitable[None]]] | None) -> None:
    """Light peers (``reports`` given) are tapped, full ones stamped, as soon as ICE has its pair."""
    if pc.iceConnectionState == "completed" and not record.tapped:
        record.tapped = True
        if reports is None:
            stamp_full(pc, record)
        else:
            reports.append(tap_light(pc, record))


async def send_reports(reports: list[Callable[[], Awaitable[None]]]) -> None:
    """Each light peer's receiver report every REPORT_INTERVAL, spread evenly rather than all at once."""
    index = 0
    while True:
        await asyncio.sleep(0.1)
        share = max(1, round(len(reports) * 0.1 / REPORT_INTERVAL))
        for report in reports[index : index + share]:
            await report()
        index = index + share if index + share < len(reports) else 0


async def run(count: int, full: int, answer_host: str | None = None) -> None:
    """With ``answer_host``, the server offers and the peers answer (a Janus edge's streaming plugin does), their
    ICE on that address; without it the peers offer, on the loopback, as the bot's own listeners expect."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=PIPE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def read() -> Any:
        return json.loads(await reader.readline())

    def write(message: Any) -> None:
        print(json.dumps(message), flush=True)

    peers: list[RTCPeerConnection] = []
    arrivals: list[Arrivals] = []
    fulls: list[FullPeer] = []
    reports: list[Callable[[], Awaitable[None]]] = []
    try:
        for start in range(0, count, BATCH):
            batch = [RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(min(BATCH, count - start))]
            peers.extend(batch)
            if answer_host is None:
                answers = await _offer(batch, write, read)
            else:
                answers = await _answer(batch, answer_host, write, read)
            for pc, answer in zip(batch, answers, strict=True):
                record = Arrivals()
                arrivals.append(record)
                light = len(arrivals) > full
                pc.on("iceconnectionstatechange", functools.partial(on_ice, pc, record, reports if light else None))
                if answer is not None:
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
                if len(arrivals) <= full:
                    fulls.append(FullPeer(pc, record))  # its track exists from the answer on
            async with asyncio.timeout(120):
                while any(pc.connectionState != "connected" for pc in batch):  # noqa: ASYNC110 - a bench's wait
                    await asyncio.sleep(0.05)
        reporter = asyncio.create_task(send_reports(reports))
        # The instrument's own full collections (its 500 peers are a big heap) would stop it for hundreds of ms
        # and show as the server's jitter: its connected peers are set aside from the collector.
        gc.collect()
        gc.freeze()
        write({"ready": True})
        seconds = float((await read())["measure"])
        for record in arrivals:
            record.clear()
        cpu = time.process_time()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu
        write(
            {
                "listeners": [record.stats(seconds) for record in arrivals],
                "tones_hz": [peer.tone_hz() for peer in fulls],
                "cpu_cores": cpu / seconds,
            }
        )
        await reader.read()  # until the server closes our stdin
        reporter.cancel()
    finally:
        for peer in fulls:
            peer.task.cancel()
        await asyncio.gather(*(pc.close() for pc in peers))
