"""Benchmark: one Space's audio work (13 speakers decoded, mixed, encoded once) and the added latency.

Run: `.venv/bin/python -m bench.bench_space_audio` (defaults: 13 speakers, 10 s CPU window, 40 talk spurts).

1. CPU: ``MixEngine.tick()`` driven synchronously with 13 speakers' real Opus packets (speech-like tones)
   pushed each tick; ``time.process_time()`` over the ticks divided by their audio duration (ticks × 20 ms):
   the share of one core the Space's audio costs, receive decryption and network excluded.
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
import statistics
import time

import numpy as np

from spaces_core.audio import MixEngine, OpusDecoder, OpusEncoder, RelayHub, RtpAudio, rms_dbfs
from spaces_core.audio.format import FRAME_SAMPLES, SAMPLE_RATE


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
    parser.add_argument("--spurts", type=int, default=40)
    args = parser.parse_args()
    share = cpu(args.speakers, args.seconds)
    print(f"one Space, {args.speakers} speakers decoded + mixed + encoded once: {100 * share:.2f} % of one core")
    heard = sorted(asyncio.run(latency(args.spurts)))
    p95 = heard[max(0, int(0.95 * len(heard)) - 1)]
    print(
        f"added latency, packet arrival -> encoded frame out to listeners, {len(heard)} talk spurts: "
        f"p50 {1000 * statistics.median(heard):.1f} ms, p95 {1000 * p95:.1f} ms, max {1000 * heard[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
