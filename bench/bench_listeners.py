"""Benchmark: N web listeners of one Space at 50 packets/s, three ways of sending to them, side by side in one run.

Run: `.venv/bin/python -m bench.bench_listeners` (see docs/BENCHMARKS.md for the defaults and figures).
Loopback only; every count and time is bounded. The server (this process) runs one mode at a time:

- ``ours``: ``WebListeners`` as the bot runs it — one Opus encode; aiortc does signalling, ICE, DTLS and RTCP
  per listener, all on one UDP port (single-port ICE), and ``SrtpFanout`` builds every connected listener's
  packet in one loop per frame and sends them with ``sendmmsg``;
- ``pyloop`` (not in the default plan): ``ours`` with the fan-out's Python loop instead of its C one
  (``fanout_loop``), to compare the two in one run;
- ``perport`` (not in the default plan): the same with a socket per listener (``single_port=False``), one
  ``sendto`` per packet, as the fast path was before single-port ICE;
- ``shared``: aiortc's ``MediaRelay`` over one encoded-packet track (a ``RelayTrack``): one encode, aiortc's own
  per-listener sender (this is also what ``WebListeners`` does with ``fast_path=False``);
- ``stock``: aiortc's ``MediaRelay`` over a PCM track, the usual recipe — each sender runs its own Opus encoder.

The listeners are real aiortc peers in child processes (``bench/listener_peers.py``, up to 500 each, at nice 10
so they yield to the server), so their work is not server CPU; beyond the first three, they take RTP off the
socket before aiortc's receive path (see that module). Server CPU is ``time.process_time`` of this process over
the measured window divided by wall time (1.0 = one core busy); listeners per core = N / that. On the loopback
that CPU includes the kernel's receive path for every datagram (delivered in the sender's system call), which
on a real network runs on the listeners' machines: the figure errs on the low side. ``sent/s`` is what the
server sent per listener per second, from its own counters: when it reads 50 but the listeners got fewer, the
listeners' processes fell behind, not the server. A row qualifies when no frame was lost, every listener got
49.5+ packets/s, no packet failed SRTP and the worst listener's p99 of |inter-arrival - 20 ms| is under 20 ms.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import fractions
import gc
import json
import os
import resource
import sys
import time
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError

from bench import listener_peers
from bench.listener_table import FAST_MODES, GC_PAUSES, HEADER, row, summarize
from bot.heap import freeze_startup_heap
from spaces_core.audio.codec import OpusEncoder
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE, Pcm, to_int16
from spaces_core.audio.relay import RelayHub
from spaces_core.webrtc import compat, fanout_loop
from spaces_core.webrtc.heap import ListenerHeap
from spaces_core.webrtc.ice import gather_host_candidates
from spaces_core.webrtc.listeners import RelayTrack, WebListeners

LOOPBACK = "127.0.0.1"
# Bounded: two event loops' worth of peers.
LIMITS = {"ours": 3000, "unfrozen": 3000, "pyloop": 3000, "perport": 3000, "shared": 400, "stock": 200}

# 1,000 peers in one process connected, but over half of them then never got media from the server, whichever
# loop it ran (2026-11-24, not understood); two processes of 500 each get all of it.
PEERS_PER_PROCESS = 500
MAX_SECONDS = 30.0
WARMUP_SECONDS = 2.0
JITTER_LIMIT_MS = 20.0


def tone(index: int) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.repeat(mono[:, None], CHANNELS, axis=1)


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
        # As the bot (AudioRooms) runs it, in every mode but ``unfrozen``; aiortc's recipes get it too.
        self.heap = None if mode == "unfrozen" else ListenerHeap()
        self.listeners = WebListeners(
            self.hub,
            host=LOOPBACK,
            max_listeners=LIMITS["ours"],
            connect_timeout=300,
            single_port=mode in ("ours", "unfrozen", "pyloop"),
            compiled=False if mode == "pyloop" else None,
            heap=self.heap,
        )
        self.pcm = PcmTrack()
        self.relay = MediaRelay()
        self.shared_source = RelayTrack(self.hub)
        self.peers: list[RTCPeerConnection] = []
        self.fanout_seconds = 0.0  # CPU time inside the fan-out's per-frame loop (ours)
        self.end_collection_ms = float("nan")
        self._pacer: asyncio.Task[None] | None = None
        fanout = self.listeners.fanout
        if fanout is not None:
            send_frame = fanout.send_frame

            def timed_send_frame(frame: Any) -> None:
                started = time.thread_time()
                send_frame(frame)
                self.fanout_seconds += time.thread_time() - started

            fanout.send_frame = timed_send_frame  # type: ignore[method-assign]

    def start(self) -> None:
        self._pacer = asyncio.create_task(self._pace())

    async def answer(self, sdp: str) -> str:
        if self.mode in FAST_MODES:
            return await self.listeners.offer(sdp)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.peers.append(pc)
        if self.heap is not None:
            self.heap.arrived()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        source = self.pcm if self.mode == "stock" else self.shared_source
        pc.addTrack(self.relay.subscribe(source))
        await gather_host_candidates(pc, LOOPBACK)
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    @property
    def fast_listeners(self) -> int:
        return 0 if self.listeners.fanout is None else self.listeners.fanout.count

    def packets_sent(self) -> int:
        """RTP packets the server sent so far, all listeners together (aiortc's counter is private: bench only)."""
        if self.mode in FAST_MODES:
            fanout = self.listeners.fanout
            return 0 if fanout is None else sum(leg.packets for leg in fanout.legs)
        return sum(compat.aiortc.sender_packet_count(pc.getSenders()[0]) for pc in self.peers)

    async def stop(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
        await self.listeners.close_all()
        await asyncio.gather(*(pc.close() for pc in self.peers))
        # The Space's end, as far as the collector goes: the departed peers collected (the next run starts clean).
        started = time.perf_counter()
        if self.heap is not None:
            self.heap.close()
            self.heap.thaw()
        else:
            gc.collect()
        self.end_collection_ms = 1000 * (time.perf_counter() - started)
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


class Child:
    """One process of listener peers and the JSON-lines conversation with it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, peers: int, full: int) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bench_listeners",
            "--peers",
            str(peers),
            "--full",
            str(full),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=listener_peers.PIPE_LIMIT,
        )
        return cls(process)

    async def read(self) -> Any:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("a listeners' process ended early")
        return json.loads(line)

    async def write(self, message: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        await self.process.stdin.drain()

    async def connect(self, server: Server) -> None:
        while "offers" in (message := await self.read()):
            await self.write({"answers": [await server.answer(sdp) for sdp in message["offers"]]})
        assert message == {"ready": True}

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(60):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def run_one(mode: str, listeners: int, seconds: float) -> dict[str, Any]:
    sizes = [min(PEERS_PER_PROCESS, listeners - start) for start in range(0, listeners, PEERS_PER_PROCESS)]
    children = [await Child.start(size, listener_peers.FULL_PEERS if i == 0 else 0) for i, size in enumerate(sizes)]
    server = Server(mode)
    server.start()
    GC_PAUSES.pauses.clear()
    try:
        async with asyncio.timeout(listeners * 0.25 + seconds + 120):
            await asyncio.gather(*(child.connect(server) for child in children))
            if server.heap is not None:
                server.heap.settled()  # aiortc's recipes: their peers connected (WebListeners says so itself)
            await asyncio.sleep(WARMUP_SECONDS)
            gc_joining_ms = GC_PAUSES.longest_ms()  # while the listeners joined: the heap grew by them
            GC_PAUSES.pauses.clear()
            fanout_seconds, sent = server.fanout_seconds, server.packets_sent()
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(child.write({"measure": seconds}) for child in children))
            results = await asyncio.gather(*(child.read() for child in children))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            fanout_seconds, sent = server.fanout_seconds - fanout_seconds, server.packets_sent() - sent
            fast = server.fast_listeners
            gc_full, gc_longest_ms = GC_PAUSES.full(), GC_PAUSES.longest_ms()
    finally:
        await server.stop()
        await asyncio.gather(*(child.close() for child in children))
    per_listener = [stats for result in results for stats in result["listeners"]]
    summary = summarize(per_listener)
    summary.update(
        mode=mode,
        listeners=listeners,
        fast=fast,
        tones_hz=[tone for result in results for tone in result["tones_hz"]],
        server_cores=cpu / wall,
        sent_rate=sent / wall / listeners,
        fanout_share=fanout_seconds / cpu if cpu else 0.0,
        fanout_us_per_packet=1e6 * fanout_seconds / (wall / FRAME_SECONDS) / listeners,
        receivers_cores=sum(result["cpu_cores"] for result in results),
        gc_joining_ms=gc_joining_ms,
        gc_end_ms=server.end_collection_ms,
        gc_full=gc_full,
        gc_longest_ms=gc_longest_ms,
        server_max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    summary["per_core"] = listeners / summary["server_cores"]
    summary["qualifies"] = (
        summary["lost"] == 0 and summary["bad"] == 0 and summary["rate_min"] >= 49.5 and summary["p99_worst"] < 20
    )
    return summary


async def bench(plan: list[tuple[str, int]], seconds: float) -> None:
    freeze_startup_heap()  # as the bot does once it is built: imports and start-up are not walked again
    built = fanout_loop.load() is not None
    print(f"fan-out loop of ours/perport: {'C' if built else 'Python (the C loop is not built: scripts/install)'}")
    print(HEADER, flush=True)
    results = []
    for mode, count in plan:
        result = await run_one(mode, count, seconds)
        # What the run left (its peers' cycles, freed only now that its server is gone) is not the next run's.
        gc.unfreeze()
        freeze_startup_heap()
        results.append(result)
        print(row(result), flush=True)
        if mode in FAST_MODES and result["fast"] != count:
            print(f"   (only {result['fast']} of {count} listeners were on the fast path)", flush=True)
    print("* = does not qualify (loss, bad SRTP, < 49.5 pkt/s or worst p99 jitter ≥ 20 ms)")
    for mode in dict.fromkeys(mode for mode, _ in plan):
        good = [r for r in results if r["mode"] == mode and r["qualifies"]]
        if good:
            best = max(good, key=lambda r: r["listeners"])
            print(f"{mode}: {best['per_core']:.0f} listeners per core (at N = {best['listeners']}, qualifying)")
        else:
            print(f"{mode}: no qualifying run")


def parse_plan(args: argparse.Namespace) -> list[tuple[str, int]]:
    plans = {mode: [int(n) for n in getattr(args, mode).split(",") if n] for mode in LIMITS}
    for mode, counts in plans.items():
        if not all(1 <= n <= LIMITS[mode] for n in counts):
            raise SystemExit(f"--{mode}: counts in 1..{LIMITS[mode]}")
    # Interleaved by mode at each step, so the modes see the machine in the same state.
    longest = max(len(counts) for counts in plans.values())
    return [(mode, counts[i]) for i in range(longest) for mode, counts in plans.items() if i < len(counts)]


def pin(*, server: bool) -> None:
    """Listeners yield to the server: they are the instrument, and must not take its core when the machine is busy."""
    if not server:
        os.nice(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", default="100,300,600,1000", help="listener counts for WebListeners (fast path)")
    parser.add_argument("--unfrozen", default="", help="listener counts for WebListeners without its ListenerHeap")
    parser.add_argument("--pyloop", default="", help="listener counts for WebListeners, the fan-out's Python loop")
    parser.add_argument("--perport", default="", help="listener counts for WebListeners, a socket per listener")
    parser.add_argument("--shared", default="100,200,300", help="listener counts for MediaRelay, one encode")
    parser.add_argument("--stock", default="25,50", help="listener counts for MediaRelay, one encoder each")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per run")
    parser.add_argument("--peers", type=int, help=argparse.SUPPRESS)  # a child process of listeners
    parser.add_argument("--full", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket or two per listener, on both sides
    pin(server=args.peers is None)
    if args.peers is not None:
        with asyncio.Runner(loop_factory=listener_peers.new_event_loop) as runner:
            runner.run(listener_peers.run(min(args.peers, listener_peers.BATCH * 100), args.full))
        return
    asyncio.run(bench(parse_plan(args), min(args.seconds, MAX_SECONDS)))


if __name__ == "__main__":
    main()
