"""Benchmark: one Space's audio work (13 speakers decoded, mixed, encoded once) and the added latency.

Run: `.venv/bin/python -m bench.bench_space_audio` (defaults: 13 speakers, 10 s CPU window, 3 rounds,
40 talk spurts, baseline 32944a1).

1. CPU: ``MixEngine.tick()`` driven synchronously with 13 speakers' real Opus packets (speech-like tones)
   pushed each tick; ``time.process_time()`` over the ticks divided by their audio duration (ticks × 20 ms):
   the share of one core the Space's audio costs, receive decryption and network excluded. Side by side in
   one run: ``spaces_core`` as of ``--baseline`` (a git revision, extracted to a temporary folder) and as
   checked out, each round in a fresh process of its own, alternating, so both see the same machine state.
2. Added latency: the engine runs on its real 20 ms heartbeat; one speaker sends talk spurts (300 ms of tone
   after 400 ms of silence) paced at 20 ms. For each spurt: time from the first packet's arrival (``push``)
   to the moment the hub publishes the first encoded frame whose decoded audio is above -40 dBFS, i.e. when
   that packet leaves for the web listeners. Includes the jitter buffer's target delay (its choice, 40 ms on
   a steady link) and the phase of the tick. Loopback, one process: no network in it.
Not a test: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from spaces_core.audio import MixEngine, OpusDecoder, OpusEncoder, RelayHub, RtpAudio, rms_dbfs
from spaces_core.audio.format import FRAME_SAMPLES, SAMPLE_RATE

REPO = Path(__file__).resolve().parent.parent


def tone_packets(hz: float, count: int) -> list[bytes]:
    encoder, out = OpusEncoder(), []
    t = np.arange(FRAME_SAMPLES) / SAMPLE_RATE
    for index in range(count):
        wave = (0.1 * np.sin(2 * np.pi * hz * (t + index * FRAME_SAMPLES / SAMPLE_RATE))).astype(np.float32)
        out.append(encoder.encode(np.stack([wave, wave], axis=1)))
    return out


def cpu(speakers: int, seconds: float) -> float:
    engine = MixEngine(RelayHub())
    engine.set_allowed(range(speakers))
    ticks = int(seconds / 0.02)
    streams = [tone_packets(200 + 60 * s, 250) for s in range(speakers)]
    for index in range(5):  # warm-up: buffers reach their target delay
        for s in range(speakers):
            engine.push(s, RtpAudio(index, index * FRAME_SAMPLES, streams[s][index]), index * 0.02)
    start = time.process_time()
    for index in range(5, ticks + 5):
        for s in range(speakers):
            engine.push(s, RtpAudio(index & 0xFFFF, index * FRAME_SAMPLES, streams[s][index % 250]), index * 0.02)
        engine.tick()
    return (time.process_time() - start) / (ticks * 0.02)


def cpu_in_child(tree: Path, speakers: int, seconds: float) -> float:
    """``cpu()`` in a fresh interpreter that imports ``spaces_core`` from ``tree`` (this bench from here)."""
    code = (
        f"import sys; sys.path[:0] = [{str(tree)!r}, {str(REPO)!r}]; "
        f"from bench.bench_space_audio import cpu; print(cpu({speakers}, {seconds}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def extract(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "spaces_core"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def compare_cpu(baseline: str | None, speakers: int, seconds: float, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        trees = {"now": REPO}
        if baseline is not None:
            trees = {f"before ({baseline})": extract(baseline, Path(folder)), **trees}
        shares: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(rounds):
            for name, tree in trees.items():
                shares[name].append(cpu_in_child(tree, speakers, seconds))
    for name, values in shares.items():
        rounds_text = ", ".join(f"{100 * v:.2f}" for v in values)
        print(
            f"one Space, {speakers} speakers decoded + mixed + encoded once, {name}: "
            f"{100 * statistics.median(values):.2f} % of one core (median of {rounds} rounds: {rounds_text})"
        )


async def latency(spurts: int) -> list[float]:
    hub = RelayHub(queue_frames=1000)
    engine = MixEngine(hub)
    engine.set_allowed({1})
    subscription, decoder = hub.subscribe(), OpusDecoder()
    onsets: list[float] = []
    heard: list[float] = []

    async def watch() -> None:
        loud = False
        while True:
            frame = await subscription.recv()
            now = time.monotonic()
            level = rms_dbfs(decoder.decode(frame.payload))
            if level > -40 and not loud and len(heard) < len(onsets):
                heard.append(now - onsets[len(heard)])
            loud = level > -40

    packets = tone_packets(440, 15)
    engine.start()
    watcher = asyncio.create_task(watch())
    loop, sequence = asyncio.get_running_loop(), 0
    try:
        for _ in range(spurts):
            await asyncio.sleep(0.4)
            start = loop.time()
            for index, payload in enumerate(packets):
                await asyncio.sleep(max(0.0, start + index * 0.02 - loop.time()))
                if index == 0:
                    onsets.append(time.monotonic())
                engine.push(1, RtpAudio(sequence & 0xFFFF, sequence * FRAME_SAMPLES, payload), time.monotonic())
                sequence += 1
        await asyncio.sleep(0.3)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await engine.stop()
    return heard


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speakers", type=int, default=13)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spurts", type=int, default=40)
    # The commit before direct libopus calls and the limiter and mixer work; "none" measures only this tree.
    parser.add_argument("--baseline", default="32944a1")
    args = parser.parse_args()
    baseline = None if args.baseline == "none" else args.baseline
    compare_cpu(baseline, args.speakers, args.seconds, max(1, args.rounds))
    heard = sorted(asyncio.run(latency(args.spurts)))
    p95 = heard[max(0, int(0.95 * len(heard)) - 1)]
    print(
        f"added latency, packet arrival -> encoded frame out to listeners, {len(heard)} talk spurts: "
        f"p50 {1000 * statistics.median(heard):.1f} ms, p95 {1000 * p95:.1f} ms, max {1000 * heard[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
