"""Benchmark: how far behind the Stage HLS listeners are, with 1 s and 2 s segments.

Run: `.venv/bin/python -m bench.bench_hls` (defaults: 1 s and 2 s segments, 30 s of audio each, playlist polled
every 100 ms, then 20 s in Chromium with hls.js; `--no-browser` skips the browser part).

1. Server side: a real ``RelayHub`` gets one real Opus packet every 20 ms (a paced task standing in for the
   mixer's heartbeat); the ``HlsSegmenter`` writes the stream; nginx from Debian serves it on loopback; a client
   polls the playlist over HTTP and fetches each newly listed segment. For every frame: time from its
   ``publish`` into the hub to the end of the fetch of the segment that holds it (p50/p90). A frame waits for
   its segment to fill, so the oldest frame of a segment waits a whole segment and the newest almost nothing:
   the p50 is about half a segment. Also: the segmenter's own delay (the newest frame's publish to its segment
   being listed), the mux's cost per packet on its worker thread, and the 20 ms pacer's lateness on the event
   loop (what the mixer would feel).
2. Player side (needs chromium and hls.js in .cache/npm): Chromium plays the playlist through hls.js with the
   listen page's settings (``liveSyncDurationCount`` 1.5 segments); every 0.5 s, ``Date.now() - hls.playingDate`` (the
   segments' EXT-X-PROGRAM-DATE-TIME is when their first frame entered the hub): how far behind the hub what the
   listener hears is (p50/p90). The Stage to the hub adds the jitter buffer and mixer (about 60 ms,
   bench_space_audio).
Not a test: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from sandbox.nginx import serving
from spaces_core.audio import OpusEncoder, RelayHub
from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE
from spaces_core.audio.hls import HlsSegmenter

REPO = Path(__file__).resolve().parent.parent
HLS_JS = REPO / ".cache" / "npm" / "node_modules" / "hls.js" / "dist" / "hls.light.min.js"
_PAGE = """<!doctype html><meta charset="utf-8"><title>hls bench</title><audio id="a"></audio>
<script src="hls.js"></script><script>
const hls = new Hls({ liveSyncDurationCount: 1.5, liveMaxLatencyDurationCount: 5, maxLiveSyncPlaybackRate: 1.1 });
window.stalls = 0;
hls.on(Hls.Events.ERROR, (e, d) => { if (d.details === "bufferStalledError") window.stalls += 1; });
hls.loadSource("s/index.m3u8"); hls.attachMedia(document.getElementById("a"));
hls.on(Hls.Events.MANIFEST_PARSED, () => document.getElementById("a").play());
window.behind = () => hls.playingDate ? (Date.now() - hls.playingDate.getTime()) / 1000 : null;
</script>"""


def tone_packets(count: int) -> list[bytes]:
    encoder = OpusEncoder()
    out = []
    for index in range(count):
        t = (index * FRAME_SAMPLES + np.arange(FRAME_SAMPLES)) / SAMPLE_RATE
        mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        out.append(encoder.encode(np.stack([mono, mono], axis=1)))
    return out


def percentiles(values: list[float], scale: float = 1.0, digits: int = 3) -> dict[str, float]:
    cuts = statistics.quantiles([v * scale for v in values], n=100)
    return {"p50": round(cuts[49], digits), "p90": round(cuts[89], digits), "max": round(max(values) * scale, digits)}


class Timed(HlsSegmenter):
    """The segmenter, with each packet's mux timed (on its worker thread)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mux_seconds: list[float] = []

    def mux(self, frame: Any) -> None:
        began = time.perf_counter()
        super().mux(frame)
        self.mux_seconds.append(time.perf_counter() - began)


async def pace(hub: RelayHub, packets: list[bytes], frames: int, published: list[float], late: list[float]) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index in range(frames):
        due = start + index * FRAME_SECONDS
        await asyncio.sleep(max(0.0, due - loop.time()))
        late.append(loop.time() - due)
        published.append(time.monotonic())
        hub.publish(packets[index % len(packets)])


async def poll(base: str, every: float, fetched: dict[int, float], done: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as http:
        while not done.is_set():
            async with http.get(f"{base}/s/index.m3u8") as answer:
                text = await answer.text() if answer.status == 200 else ""
            for name in (line for line in text.splitlines() if line.endswith(".m4s")):
                index = int(name[3:-4])
                if index not in fetched:
                    async with http.get(f"{base}/s/{name}") as answer:
                        await answer.read()
                    fetched[index] = time.monotonic()
            await asyncio.sleep(every)


async def browser_behind(base: str, seconds: float) -> tuple[list[float], int]:
    from tests.browser.chromium import Chromium  # the tests' own driver: only this optional part needs it

    browser = Chromium()
    try:
        await browser.open(f"{base}/page.html")
        samples: list[float] = []
        deadline = time.monotonic() + 15 + seconds
        while time.monotonic() < deadline and len(samples) < seconds * 2:
            behind = await browser.evaluate("window.behind ? window.behind() : null")
            if behind is not None and await browser.evaluate("document.getElementById('a').currentTime > 2"):
                samples.append(float(behind))
            await asyncio.sleep(0.5)
        return samples, int(await browser.evaluate("window.stalls || 0"))
    finally:
        await browser.close()


async def played(root: Path, base: str, packets: list[bytes], segment_seconds: float) -> tuple[list[float], int]:
    """A fresh stream (its dates start now) paced in real time while Chromium plays it."""
    shutil.rmtree(root / "s")
    shutil.copy(HLS_JS, root / "hls.js")
    (root / "page.html").write_text(_PAGE)
    hub = RelayHub()
    hub.attach(HlsSegmenter(root / "s", segment_seconds=segment_seconds), queue_frames=100)
    pacer = asyncio.create_task(pace(hub, packets, int(60 / FRAME_SECONDS), [], []))
    try:
        for _ in range(200):  # as the listen page does: no playlist URL before the playlist exists
            if (root / "s" / "index.m3u8").exists():
                break
            await asyncio.sleep(0.05)
        return await browser_behind(base, 20.0)
    finally:
        pacer.cancel()
        await hub.stop()


async def run(segment_seconds: float, seconds: float, every: float, browser: bool) -> dict[str, Any]:
    packets = tone_packets(250)
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary) / "hls"
        root.mkdir()
        hub, segmenter = RelayHub(), Timed(root / "s", segment_seconds=segment_seconds)
        hub.attach(segmenter, queue_frames=100)
        per_segment = round(segment_seconds / FRAME_SECONDS)
        frames = int(seconds / FRAME_SECONDS) // per_segment * per_segment
        published: list[float] = []
        late: list[float] = []
        fetched: dict[int, float] = {}
        done = asyncio.Event()
        async with serving(root, Path(temporary) / "nginx") as base:
            poller = asyncio.create_task(poll(base, every, fetched, done))
            await pace(hub, packets, frames + per_segment, published, late)  # one more: the last one is cut
            await asyncio.sleep(segment_seconds)
            done.set()
            await poller
            await hub.stop()
            behind, stalls = await played(root, base, packets, segment_seconds) if browser else ([], 0)
    delays = [fetched[i // per_segment] - published[i] for i in range(frames) if i // per_segment in fetched]
    newest = [segmenter.listed_at[k] - published[(k + 1) * per_segment - 1] for k in range(frames // per_segment)]
    result: dict[str, Any] = {
        "segment_s": segment_seconds,
        "frames": len(delays),
        "frame_to_fetched_s": percentiles(delays),
        "newest_frame_to_listed_ms": percentiles(newest, 1000, 1),
        "mux_per_packet_us": percentiles(segmenter.mux_seconds, 1e6, 0),
        "pacer_late_ms": percentiles(late, 1000, 2),
    }
    if browser:
        result["chromium_hlsjs_behind_hub_s"] = percentiles(behind) if len(behind) > 1 else "never played"
        result["chromium_stalls"] = stalls
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between two playlist requests")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    browser = not args.no_browser and HLS_JS.is_file() and shutil.which("chromium") is not None
    for segment_seconds in args.segments:
        print(json.dumps(asyncio.run(run(segment_seconds, args.seconds, args.poll, browser))))


if __name__ == "__main__":
    main()
