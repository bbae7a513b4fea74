"""Benchmark: N web listeners of one Space at 50 packets/s, three ways of feeding their aiortc senders.

Run: `.venv/bin/python -m bench.bench_listeners` (defaults: 1, 10, 25, 50 listeners, 5 s each; see
docs/BENCHMARKS_AUDIO.md). Loopback only. The server side (this process) runs one mode at a time:

- ``ours``: ``WebListeners`` — the mix is encoded once, every listener's ``RelayTrack`` hands the shared
  Opus bytes to its sender as an ``av.Packet`` (no encode per listener);
- ``stock``: aiortc's ``MediaRelay`` over a PCM track, the usual recipe — each sender runs its own Opus encoder;
- ``shared``: aiortc's ``MediaRelay`` over one encoded-packet track — one encode, aiortc's own fan-out.

The listeners are real aiortc peers in a child process (so their decoding does not count as server CPU). They
time every RTP packet as it arrives (by wrapping ``RTCRtpReceiver._handle_rtp_packet`` on each receiver, a
private hook used by this script only) and report per-listener packet rate, loss (from sequence numbers) and
p99 of |inter-arrival - 20 ms|. Server CPU is ``time.process_time`` (all threads) over the same window,
divided by the wall time: 1.0 is one core busy. Not a test: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import fractions
import json
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError

from spaces_core.audio.codec import OpusEncoder
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE, Pcm, to_int16
from spaces_core.audio.relay import RelayHub
from spaces_core.audio.webrtc import RelayTrack, WebListeners
from spaces_core.audio.webrtc_ice import gather_host_candidates

LOOPBACK = "127.0.0.1"
MAX_LISTENERS = 100  # bounded: one child process, two event loops, a small machine
MAX_SECONDS = 30.0
WARMUP_SECONDS = 1.0
MODES = ("ours", "stock", "shared")
_PIPE_LIMIT = 1 << 24  # one JSON line carries every SDP: ~6 kB each, far past asyncio's 64 kB default


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def tone(index: int) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.repeat(mono[:, None], CHANNELS, axis=1)


# --- server side -------------------------------------------------------------------------------------------


class PcmTrack(MediaStreamTrack):
    """The mix as PCM, for the stock recipe; keeps only the newest frames, like the hub does."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._frames: collections.deque[av.AudioFrame] = collections.deque(maxlen=10)
        self._ready = asyncio.Event()

    def push(self, pcm: Pcm, index: int) -> None:
        frame = av.AudioFrame.from_ndarray(to_int16(pcm), format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = index * FRAME_SAMPLES
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._frames.append(frame)
        self._ready.set()

    async def recv(self) -> av.AudioFrame:
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def stop(self) -> None:
        super().stop()
        self._ready.set()  # wakes MediaRelay's reader so it sees the end


class Server:
    """One Space's source at 50 frames/s and the listeners' peers, in one of the three modes."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.hub = RelayHub()
        self.encoder = OpusEncoder()
        self.listeners = WebListeners(self.hub, host=LOOPBACK)
        self.pcm = PcmTrack()
        self.relay = MediaRelay()
        self.shared_source = RelayTrack(self.hub)
        self.peers: list[RTCPeerConnection] = []
        self._pacer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._pacer = asyncio.create_task(self._pace())

    async def answer(self, sdp: str) -> str:
        if self.mode == "ours":
            return await self.listeners.offer(sdp)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.peers.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        source = self.pcm if self.mode == "stock" else self.shared_source
        pc.addTrack(self.relay.subscribe(source))
        await gather_host_candidates(pc, LOOPBACK)
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def stop(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
        await self.listeners.close_all()
        await asyncio.gather(*(pc.close() for pc in self.peers))
        self.shared_source.stop()
        self.pcm.stop()
        await self.hub.stop()

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        index = 0
        while True:
            pcm = tone(index)
            if self.mode == "stock":
                self.pcm.push(pcm, index)
            else:
                self.hub.publish(self.encoder.encode(pcm))
            index += 1
            deadline += FRAME_SECONDS
            await asyncio.sleep(max(0.0, deadline - loop.time()))


async def run_one(mode: str, listeners: int, seconds: float) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bench_listeners",
        "--receivers",
        str(listeners),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=_PIPE_LIMIT,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    server = Server(mode)
    server.start()

    async def read() -> Any:
        line = await child.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("the listeners' process ended early")
        return json.loads(line)

    def write(message: Any) -> None:
        child.stdin.write((json.dumps(message) + "\n").encode())  # type: ignore[union-attr]

    try:
        async with asyncio.timeout(seconds + 60):
            offers = (await read())["offers"]
            write({"answers": [await server.answer(sdp) for sdp in offers]})
            await child.stdin.drain()
            await read()  # {"ready": ...}: every peer connected
            await asyncio.sleep(WARMUP_SECONDS)
            write({"measure": seconds})
            await child.stdin.drain()
            wall, cpu = time.perf_counter(), time.process_time()
            result: dict[str, Any] = await read()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        child.stdin.close()
        await server.stop()
        try:
            async with asyncio.timeout(10):
                await child.wait()
        except TimeoutError:
            child.kill()
            await child.wait()
    result.update(
        mode=mode,
        listeners=listeners,
        server_cpu_cores=cpu / wall,
        server_cpu_ms_per_listener_second=1000 * cpu / wall / listeners,
        server_max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    return result


# --- listeners' side (child process) -----------------------------------------------------------------------


class Arrivals:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.sequences: list[int] = []

    def clear(self) -> None:
        self.times.clear()
        self.sequences.clear()

    def stats(self, seconds: float) -> dict[str, float]:
        unwrapped = np.unwrap(np.array(self.sequences, dtype=np.float64), period=1 << 16)
        expected = int(unwrapped.max() - unwrapped.min()) + 1 if len(unwrapped) else 0
        deltas = np.diff(self.times) * 1000.0
        jitter = np.abs(deltas - FRAME_SECONDS * 1000.0).tolist()
        return {
            "rate": len(self.times) / seconds,
            "lost": max(0, expected - len(set(unwrapped.tolist()))),
            "expected": expected,
            "p99_jitter_ms": percentile(jitter, 0.99),
            "max_gap_ms": float(deltas.max()) if len(deltas) else float("nan"),
        }


def record_arrivals(pc: RTCPeerConnection, arrivals: Arrivals) -> None:
    receiver = pc.getReceivers()[0]
    original: Callable[..., Awaitable[None]] = receiver._handle_rtp_packet

    async def timed(packet: Any, arrival_time_ms: int) -> None:
        arrivals.times.append(time.perf_counter())
        arrivals.sequences.append(packet.sequence_number)
        await original(packet, arrival_time_ms)

    receiver._handle_rtp_packet = timed  # type: ignore[method-assign]


async def drain(track: MediaStreamTrack) -> None:
    """Like a browser playing the audio: take every decoded frame so aiortc's queue does not grow."""
    try:
        while True:
            await track.recv()
    except MediaStreamError:
        return


async def receivers(count: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_PIPE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def read() -> Any:
        return json.loads(await reader.readline())

    peers = [RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(count)]
    drains: list[asyncio.Task[None]] = []
    try:
        offers = []
        for pc in peers:
            pc.addTransceiver("audio", direction="recvonly")
            await gather_host_candidates(pc, LOOPBACK)
            await pc.setLocalDescription(await pc.createOffer())
            offers.append(pc.localDescription.sdp)
        print(json.dumps({"offers": offers}), flush=True)
        answers = (await read())["answers"]
        arrivals = [Arrivals() for _ in peers]
        for pc, answer, record in zip(peers, answers, arrivals, strict=True):
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            record_arrivals(pc, record)
            drains.append(asyncio.create_task(drain(pc.getReceivers()[0].track)))
        async with asyncio.timeout(30):
            while any(pc.connectionState != "connected" for pc in peers):  # noqa: ASYNC110 - a bench's wait
                await asyncio.sleep(0.05)
        print(json.dumps({"ready": True}), flush=True)
        seconds = min(float((await read())["measure"]), MAX_SECONDS)
        for record in arrivals:
            record.clear()
        cpu = time.process_time()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu
        per_listener = [record.stats(seconds) for record in arrivals]
        print(json.dumps(summarize(per_listener, seconds, cpu)), flush=True)
        await reader.read()  # until the server closes our stdin
    finally:
        for task in drains:
            task.cancel()
        await asyncio.gather(*drains, return_exceptions=True)
        await asyncio.gather(*(pc.close() for pc in peers))


def summarize(per_listener: list[dict[str, float]], seconds: float, cpu: float) -> dict[str, Any]:
    rates = [s["rate"] for s in per_listener]
    expected = sum(s["expected"] for s in per_listener)
    lost = sum(s["lost"] for s in per_listener)
    p99s = [s["p99_jitter_ms"] for s in per_listener]
    return {
        "rate_min": min(rates),
        "rate_median": statistics.median(rates),
        "loss_percent": 100.0 * lost / expected if expected else float("nan"),
        "p99_jitter_ms_median": statistics.median(p99s),
        "p99_jitter_ms_worst": max(p99s),
        "max_gap_ms": max(s["max_gap_ms"] for s in per_listener),
        "receivers_cpu_cores": cpu / seconds,
    }


# --- entry point -------------------------------------------------------------------------------------------


def row(result: dict[str, Any]) -> str:
    return (
        f"{result['mode']:>6} {result['listeners']:>4} | {result['rate_min']:6.1f} {result['rate_median']:6.1f}"
        f" | {result['loss_percent']:6.2f} | {result['p99_jitter_ms_median']:6.2f} {result['p99_jitter_ms_worst']:6.2f}"
        f" {result['max_gap_ms']:7.1f} | {result['server_cpu_cores']:5.3f}"
        f" {result['server_cpu_ms_per_listener_second']:6.2f} | {result['receivers_cpu_cores']:5.2f}"
    )


async def bench(modes: list[str], counts: list[int], seconds: float) -> None:
    print("  mode    N | pkt/s min  med |  loss% | p99 jit med  worst  maxgap | srv cores ms/lst/s | rcv cores")
    for count in counts:
        for mode in modes:
            print(row(await run_one(mode, count, seconds)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", default="1,10,25,50", help="comma-separated listener counts")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window per run")
    parser.add_argument("--receivers", type=int, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.receivers is not None:
        asyncio.run(receivers(min(args.receivers, MAX_LISTENERS)))
        return
    counts = [int(n) for n in args.listeners.split(",")]
    modes = args.modes.split(",")
    if not all(1 <= n <= MAX_LISTENERS for n in counts) or not set(modes) <= set(MODES):
        parser.error(f"listener counts in 1..{MAX_LISTENERS}; modes among {', '.join(MODES)}")
    asyncio.run(bench(modes, counts, min(args.seconds, MAX_SECONDS)))


if __name__ == "__main__":
    main()
