"""The HLS segmenter fed real Opus frames through a real relay hub: the segments PyAV decodes back to the tone
for the right length, the playlist lists only whole segments until the end, old segments go, and nginx from
Debian serves the directory as it is written."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from datetime import datetime
from pathlib import Path

import aiohttp
import av
import numpy as np
import pytest

from sandbox.nginx import nginx_binary, serving
from spaces_core.audio import OpusEncoder, RelayHub
from spaces_core.audio.format import FRAME_SAMPLES, SAMPLE_RATE
from spaces_core.audio.hls import HlsSegmenter, sweep
from spaces_core.audio.relay import EncodedFrame
from tests.missing import NGINX

FRAMES_PER_SECOND = SAMPLE_RATE // FRAME_SAMPLES


def tone_packets(count: int, frequency: float = 440.0) -> list[bytes]:
    encoder = OpusEncoder()
    packets = []
    for index in range(count):
        t = (index * FRAME_SAMPLES + np.arange(FRAME_SAMPLES)) / SAMPLE_RATE
        mono = (0.4 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
        packets.append(encoder.encode(np.stack([mono, mono], axis=1)))
    return packets


async def feed(hub: RelayHub, packets: list[bytes], segmenter: HlsSegmenter) -> None:
    """Publish, then wait until the segmenter has muxed them all (the hub's pump runs on its own)."""
    target = segmenter.frames_muxed + len(packets)
    for payload in packets:
        hub.publish(payload)
    async with asyncio.timeout(10):
        while segmenter.frames_muxed < target:
            await asyncio.sleep(0.01)


def listed(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def dates(playlist: str) -> list[datetime]:
    tag = "#EXT-X-PROGRAM-DATE-TIME:"
    return [datetime.fromisoformat(line[len(tag) :]) for line in playlist.splitlines() if line.startswith(tag)]


def decoded(stream: bytes) -> np.ndarray:
    """The samples of an fMP4 stream (init then segments), first channel, as PyAV decodes them."""
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"hls-{os.getpid()}-{time.monotonic_ns()}.mp4"
    path.write_bytes(stream)
    try:
        with av.open(str(path)) as container:
            chunks = [frame.to_ndarray()[0] for frame in container.decode(audio=0)]
            assert container.streams.audio[0].codec_context.name == "opus"
    finally:
        path.unlink()
    return np.concatenate(chunks)


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * SAMPLE_RATE / len(samples))


async def test_segments_decode_back_to_the_tone_with_the_right_length(tmp_path: Path) -> None:
    hub, directory = RelayHub(), tmp_path / "space-1"
    segmenter = HlsSegmenter(directory, segment_seconds=1.0)
    hub.attach(segmenter, queue_frames=1000)
    packets = tone_packets(175)  # 3.5 s
    started = time.time()
    try:
        await feed(hub, packets[:125], segmenter)  # 2.5 s: two whole segments, the third being filled
        live = (directory / "index.m3u8").read_text()
        assert listed(live) == ["seg0.m4s", "seg1.m4s"] and "#EXT-X-ENDLIST" not in live
        assert not list(directory.glob(".*.tmp"))  # every file was renamed into place
        await feed(hub, packets[125:], segmenter)
        await segmenter.close()
    finally:
        await hub.stop()
    ended = (directory / "index.m3u8").read_text()
    assert ended.endswith("#EXT-X-ENDLIST\n")
    assert listed(ended) == ["seg0.m4s", "seg1.m4s", "seg2.m4s", "seg3.m4s"]
    durations = [float(line[8:-1]) for line in ended.splitlines() if line.startswith("#EXTINF:")]
    assert durations == [1.0, 1.0, 1.0, 0.5]
    # Each segment's date is its first frame's arrival: the first one's, plus the audio before it.
    stamps = dates(ended)
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)] == [1.0, 1.0, 1.0]
    assert abs(stamps[0].timestamp() - started) < 5
    stream = (directory / "init.mp4").read_bytes() + b"".join((directory / n).read_bytes() for n in listed(ended))
    samples = decoded(stream)
    assert len(samples) == pytest.approx(3.5 * SAMPLE_RATE, abs=FRAME_SAMPLES)
    assert abs(dominant_hz(samples[SAMPLE_RATE // 10 :]) - 440) < 3
    # A player joining at any segment decodes it with the header alone (EXT-X-INDEPENDENT-SEGMENTS).
    middle = decoded((directory / "init.mp4").read_bytes() + (directory / "seg2.m4s").read_bytes())
    # The decoder drops libopus's usual 312-sample warm-up at the start of what it is given.
    assert len(middle) == pytest.approx(SAMPLE_RATE, abs=FRAME_SAMPLES)
    assert abs(dominant_hz(middle[SAMPLE_RATE // 10 :]) - 440) < 3


async def test_the_window_slides_and_old_segments_are_deleted(tmp_path: Path) -> None:
    hub, directory = RelayHub(), tmp_path / "space-2"
    segmenter = HlsSegmenter(directory, segment_seconds=0.2, window=3)
    hub.attach(segmenter, queue_frames=1000)
    try:
        await feed(hub, tone_packets(10 * 10 + 5), segmenter)  # ten whole 0.2 s segments
    finally:
        await hub.stop()
    playlist = (directory / "index.m3u8").read_text()
    assert listed(playlist) == ["seg7.m4s", "seg8.m4s", "seg9.m4s"]
    assert "#EXT-X-MEDIA-SEQUENCE:7\n" in playlist
    # Out of the playlist for a window already: deleted; out for less: still there for a slow player.
    on_disk = sorted(int(p.stem[3:]) for p in directory.glob("seg*.m4s"))
    assert on_disk == [3, 4, 5, 6, 7, 8, 9]


async def test_a_restarted_stream_starts_clean_and_nothing_is_written_without_audio(tmp_path: Path) -> None:
    directory = tmp_path / "space-3"
    first = HlsSegmenter(directory, segment_seconds=0.2)
    for frame_index, payload in enumerate(tone_packets(25)):
        first.mux(EncodedFrame(payload, frame_index, frame_index * FRAME_SAMPLES))
    assert (directory / "seg1.m4s").exists()
    silent = HlsSegmenter(tmp_path / "space-4", segment_seconds=0.2)
    await silent.close()
    assert not (tmp_path / "space-4").exists()
    again = HlsSegmenter(directory, segment_seconds=0.2)
    again.mux(EncodedFrame(tone_packets(1)[0], 500, 500 * FRAME_SAMPLES))  # a hub that ran on meanwhile
    assert sorted(p.name for p in directory.iterdir()) == ["init.mp4"]


def test_sweep_deletes_streams_whose_playlist_stopped_changing(tmp_path: Path) -> None:
    for name, age in (("ended", 600.0), ("live", 1.0)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.m3u8").write_text("#EXTM3U\n")
        (tmp_path / name / "seg0.m4s").write_bytes(b"x")
        stamp = time.time() - age
        os.utime(tmp_path / name / "index.m3u8", (stamp, stamp))
    assert sweep(tmp_path, linger=300) == ["ended"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live"]
    assert sweep(tmp_path / "missing", linger=300) == []


@pytest.mark.skipif(nginx_binary() is None, reason=NGINX)
async def test_nginx_serves_the_live_stream_and_pyav_decodes_what_it_served(tmp_path: Path) -> None:
    root, hub = tmp_path / "hls", RelayHub()
    segmenter = HlsSegmenter(root / "space-5", segment_seconds=1.0)
    hub.attach(segmenter, queue_frames=1000)
    packets = tone_packets(150)
    try:
        async with serving(root, tmp_path / "nginx") as base, aiohttp.ClientSession() as http:
            await feed(hub, packets[:110], segmenter)
            async with http.get(f"{base}/space-5/index.m3u8") as answer:
                assert answer.status == 200
                assert answer.content_type == "application/vnd.apple.mpegurl"
                assert answer.headers["Cache-Control"] == "no-cache"
                playlist = await answer.text()
            assert listed(playlist) == ["seg0.m4s", "seg1.m4s"]
            stream = b""
            for name in ["init.mp4", *listed(playlist)]:
                async with http.get(f"{base}/space-5/{name}") as answer:
                    assert answer.status == 200
                    stream += await answer.read()
            async with http.get(f"{base}/space-5/seg2.m4s") as answer:
                assert answer.status == 404  # being filled: not a file yet, so never half of one
    finally:
        await hub.stop()
    samples = decoded(stream)
    assert len(samples) == pytest.approx(2 * SAMPLE_RATE, abs=FRAME_SAMPLES)
    assert abs(dominant_hz(samples[SAMPLE_RATE // 10 :]) - 440) < 3
