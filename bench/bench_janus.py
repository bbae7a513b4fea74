"""Benchmark: listeners per core through a Janus edge beside the bot's in-process fan-out, in one run.

Run (root: the edge runs in a network namespace): `.venv/bin/python -m bench.bench_janus` (docs/BENCHMARKS.md).

- ``janus``: one Janus 1.1.x edge (Debian ``janus``) started by ``scripts/janus_netns`` with the default settings
  (a thread per viewer) — and, with ``--loops 2``, with two static event loops — fed by the bot's own ``RtpSink``
  through ``Edges`` (one mountpoint), the listeners signalled through ``Edges.watch``/``answer`` as the page is.
  Server CPU = the Janus process's CPU time (utime + stime from /proc) over the measured window / wall time.
- ``ours``: ``WebListeners``, the bot's in-process fan-out, measured by ``bench.bench_listeners.run_one``.

The listeners are the same real aiortc peers in child processes (``bench/listener_peers.py``, answering instead of
offering for Janus, their ICE on the namespace's veth), at nice 10. Qualifying is as in bench_listeners: no frame
lost, every listener 49.5+ packets/s, no bad SRTP, worst p99 |inter-arrival - 20 ms| under 20 ms. Figures are
printed, never asserted; every count and time is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import listener_peers
from bench.bench_listeners import PEERS_PER_PROCESS, WARMUP_SECONDS, Child, run_one, tone
from bench.listener_table import summarize
from spaces_core.audio.codec import OpusEncoder
from spaces_core.audio.format import FRAME_SECONDS
from spaces_core.audio.relay import RelayHub
from spaces_core.webrtc.janus import EdgeConfig, Edges

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "janus_netns"
LIMIT = 2000  # listeners per run, at most
PORT = 8188
TICKS = os.sysconf("SC_CLK_TCK")


class Edge:
    """A Janus edge in a namespace of its own (``scripts/janus_netns``), with ``loops`` static event loops."""

    def __init__(self, loops: int) -> None:
        self.env = {**os.environ, "JANUS_NS": "spaces-bench", "JANUS_SUBNET": "10.234.0", "JANUS_DEBUG_LEVEL": "2"}
        if loops:
            self.env["JANUS_EVENT_LOOPS"] = str(loops)
        self.address = "10.234.0.2"
        self.host_side = "10.234.0.1"
        out = subprocess.run([SCRIPT, "start", "bench", str(PORT)], env=self.env, check=True, capture_output=True)
        self.pid = int(out.stdout.split()[-1])
        self.config = EdgeConfig("bench", f"http://{self.address}:{PORT}/janus", self.address)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15 of stat(5)

    def stop(self) -> None:
        subprocess.run([SCRIPT, "down"], env=self.env, check=False, capture_output=True)


async def pace(hub: RelayHub) -> None:
    encoder, loop = OpusEncoder(), asyncio.get_running_loop()
    deadline, index = loop.time(), 0
    while True:
        hub.publish(encoder.encode(tone(index)))
        index += 1
        deadline += FRAME_SECONDS
        await asyncio.sleep(max(0.0, deadline - loop.time()))


class JanusChild(Child):
    """bench_listeners' process of listener peers, started as Janus's answerers and signalled through the edges."""

    @classmethod
    async def start_answering(cls, peers: int, full: int, host: str) -> JanusChild:
        args = ["-m", "bench.bench_janus", "--peers", str(peers), "--full", str(full), "--host", host]
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=listener_peers.PIPE_LIMIT,
        )  # fmt: skip
        return cls(process)

    async def connect_through(self, edges: Edges) -> None:
        """The page's signalling, batch by batch: Janus offers (``watch``), the peers answer (``start``)."""
        pending: list[str] = []
        while (message := await self.read()) != {"ready": True}:
            if "want" in message:
                watched = [await edges.watch("bench") for _ in range(message["want"])]
                pending = [listener for listener, _ in watched]
                await self.write({"offers": [offer for _, offer in watched]})
            else:
                for listener, answer in zip(pending, message["answers"], strict=True):
                    await edges.answer("bench", listener, answer)


async def run_janus(listeners: int, seconds: float, loops: int) -> dict[str, Any]:
    edge = await asyncio.to_thread(Edge, loops)
    # A batch of 50 peers answering on a busy machine can take longer than a page's 30 s.
    hub, edges = RelayHub(), Edges([edge.config], unstarted_ttl=600)
    pacer = asyncio.create_task(pace(hub))
    children: list[JanusChild] = []
    try:
        await edges.run()
        edges.open("bench", hub)
        async with asyncio.timeout(30):
            while "bench" not in edges.edges[0].mountpoints:  # noqa: ASYNC110 - a bench's wait
                await asyncio.sleep(0.05)
        sizes = [min(PEERS_PER_PROCESS, listeners - start) for start in range(0, listeners, PEERS_PER_PROCESS)]
        full = listener_peers.FULL_PEERS
        answering = JanusChild.start_answering
        children = [await answering(size, full if i == 0 else 0, edge.host_side) for i, size in enumerate(sizes)]
        async with asyncio.timeout(listeners * 0.25 + seconds + 120):
            for child in children:  # one at a time: Janus's signalling is sequential per session anyway
                await child.connect_through(edges)
            await asyncio.sleep(WARMUP_SECONDS)
            wall, cpu = time.perf_counter(), edge.cpu_seconds()
            await asyncio.gather(*(child.write({"measure": seconds}) for child in children))
            results = await asyncio.gather(*(child.read() for child in children))
            wall, cpu = time.perf_counter() - wall, edge.cpu_seconds() - cpu
    finally:
        pacer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pacer
        await asyncio.gather(*(child.close() for child in children))
        await edges.stop()
        await hub.stop()
        await asyncio.to_thread(edge.stop)
    summary = summarize([stats for result in results for stats in result["listeners"]])
    summary.update(
        mode=f"janus/{loops or 'default'}",
        listeners=listeners,
        server_cores=cpu / wall,
        tones_hz=[hz for result in results for hz in result["tones_hz"]],
    )
    summary["per_core"] = listeners / summary["server_cores"]
    summary["qualifies"] = (
        summary["lost"] == 0 and summary["bad"] == 0 and summary["rate_min"] >= 49.5 and summary["p99_worst"] < 20
    )
    return summary


HEADER = "          mode     N | pkt/s min  med | lost bad | p99 jit med worst | srv cores  lst/core | tone Hz"


def line(r: dict[str, Any]) -> str:
    tones = ",".join(f"{hz:.0f}" for hz in r["tones_hz"])
    return (
        f"{r['mode']:>14} {r['listeners']:>5} | {r['rate_min']:6.1f} {r['rate_median']:6.1f}"
        f" | {r['lost']:4d} {r['bad']:3d} | {r['p99_median']:6.2f} {r['p99_worst']:6.2f}"
        f" | {r['server_cores']:6.3f} {r['per_core']:7.0f}{'' if r['qualifies'] else '*'} | {tones}"
    )


async def bench(counts: list[int], loops: list[int], seconds: float) -> None:
    print(HEADER, flush=True)
    for count in counts:  # interleaved, so each mode sees the machine in the same state
        for loop_count in loops:
            print(line(await run_janus(count, seconds, loop_count)), flush=True)
        ours = await run_one("ours", count, seconds)
        print(line({**ours, "mode": "ours (in-proc)"}), flush=True)
    print("* = does not qualify (loss, bad SRTP, < 49.5 pkt/s or worst p99 jitter ≥ 20 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", default="100,300,600", help="listener counts, each run in every mode")
    parser.add_argument("--loops", default="0,2", help="Janus static event loops per run (0: Janus's default)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per run")
    parser.add_argument("--peers", type=int, help=argparse.SUPPRESS)  # a child process of listeners
    parser.add_argument("--full", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.peers is not None:
        os.nice(10)  # the instrument yields to the servers
        with asyncio.Runner(loop_factory=listener_peers.new_event_loop) as runner:
            runner.run(listener_peers.run(min(args.peers, PEERS_PER_PROCESS), args.full, answer_host=args.host))
        return
    counts = [int(n) for n in args.listeners.split(",") if n]
    if not all(1 <= n <= LIMIT for n in counts):
        raise SystemExit(f"--listeners: counts in 1..{LIMIT}")
    asyncio.run(bench(counts, [int(n) for n in args.loops.split(",") if n], min(args.seconds, 30.0)))


if __name__ == "__main__":
    main()
