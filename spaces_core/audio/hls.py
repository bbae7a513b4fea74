"""Low-latency HLS of a Space's mix: the hub's Opus packets muxed into fMP4 segments, with no second encode.

A ``PacketSink`` of the relay hub (``hub.attach(HlsSegmenter(...))``). The same 20 ms Opus packets the web
listeners get are muxed by PyAV's MP4 muxer in fragmented mode (``empty_moov``: the header first, then one
``moof``+``mdat`` fragment every ``segment_seconds``); its output is cut at the box boundaries into the
``init.mp4`` header and one ``.m4s`` file per fragment, which is exactly the HLS fMP4 layout (RFC 8216 §3.3).
Letting FFmpeg write the boxes keeps the timing boxes (tfdt, trun) right; we only split its byte stream.

Any HTTP server can serve the directory: each file is written under a temporary name and renamed into place,
so a server never sends half a segment or half a playlist. Segments that left the playlist's window are deleted
one window later (a player that has just read the playlist may still fetch them). ``close`` writes the last
fragment and EXT-X-ENDLIST; ``sweep`` deletes a whole ended stream's directory some time later.

The event loop never waits for PyAV or the disk: each packet is muxed on a worker thread (``send`` awaits it
in the hub's pump task for this sink, not in the mixer's tick), and a lock keeps ``close`` from touching the
container while a cancelled send's mux is still running on its thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import io
import logging
import os
import shutil
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import av

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE
from spaces_core.audio.hls_playlist import INIT_NAME, PLAYLIST_NAME, Playlist, Segment, segment_name
from spaces_core.audio.relay import EncodedFrame

__all__ = ["HlsSegmenter", "sweep"]

log = logging.getLogger(__name__)

_TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
# RFC 7845 §5.1 identification header, which the MP4 muxer turns into the `dOps` box: version 1, channels,
# pre-skip 0 (the stream is joined mid-way, long after the encoder's warm-up), 48 kHz, gain 0, mapping family 0.
_OPUS_HEAD: Final = b"OpusHead" + struct.pack("<BBHIhB", 1, CHANNELS, 0, SAMPLE_RATE, 0, 0)
_HEADER_BOXES: Final = frozenset({b"ftyp", b"moov"})


class _Boxes(io.RawIOBase):
    """What the muxer writes, cut into whole top-level MP4 boxes (size, type, body). No ``seek``: PyAV then
    tells FFmpeg the output is a stream, so nothing is ever rewritten in place."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        return len(data)

    def take(self) -> Iterator[tuple[bytes, bytes]]:
        """Each whole box written so far, once: (type, the box's bytes)."""
        while len(self._buffer) >= 8:
            size, kind = struct.unpack_from(">I4s", self._buffer)
            if size == 1 and len(self._buffer) >= 16:  # a 64-bit size follows the type
                (size,) = struct.unpack_from(">Q", self._buffer, 8)
            if size < 8 or len(self._buffer) < size:
                return
            box = bytes(self._buffer[:size])
            del self._buffer[:size]
            yield kind, box


class HlsSegmenter:
    def __init__(self, directory: Path, *, segment_seconds: float = 1.0, window: int = 6) -> None:
        frames = round(segment_seconds * SAMPLE_RATE / FRAME_SAMPLES)
        if frames < 1 or abs(frames * FRAME_SAMPLES / SAMPLE_RATE - segment_seconds) > 1e-9:
            raise ValueError(f"segment_seconds must be a whole number of 20 ms frames, not {segment_seconds}")
        self.directory = directory
        self.segment_seconds = segment_seconds
        self.window = window
        self.playlist = Playlist(target_seconds=segment_seconds, window=window)
        self._lock = threading.Lock()
        self._boxes = _Boxes()
        self._container: Any = None
        self._stream: Any = None
        self._header = b""
        self._moof = b""
        self._first_timestamp: int | None = None
        self._started_at = 0.0
        self._fragment_start = 0  # pts of the first packet of the fragment being filled
        self._next_pts = 0
        self._closed = False
        self.frames_muxed = 0
        # When each segment became listed (time.monotonic()), by index: the benchmark's end of the pipe.
        self.listed_at: dict[int, float] = {}

    def __repr__(self) -> str:
        return f"HlsSegmenter({str(self.directory)!r})"

    async def send(self, frame: EncodedFrame) -> None:
        await asyncio.to_thread(self.mux, frame)

    async def close(self) -> None:
        """Write the last fragment and EXT-X-ENDLIST. Idempotent; nothing is written if no frame came."""
        await asyncio.to_thread(self.finish)

    def mux(self, frame: EncodedFrame) -> None:
        """One packet into the stream (on a worker thread); a fragment it completes becomes a listed segment."""
        with self._lock:
            if self._closed:
                return
            if self._container is None:
                self._open(frame.timestamp)
            assert self._first_timestamp is not None
            pts = frame.timestamp - self._first_timestamp
            packet = av.Packet(frame.payload)
            packet.pts = packet.dts = pts
            packet.duration = FRAME_SAMPLES
            packet.time_base = _TIME_BASE
            packet.stream = self._stream
            self._container.mux(packet)
            self.frames_muxed += 1
            self._collect(end_pts=pts)
            self._next_pts = pts + FRAME_SAMPLES

    def finish(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._container is None:
                return
            self._container.close()  # writes the fragment still being filled
            self._collect(end_pts=self._next_pts)
            self.playlist.end()
            self._publish(PLAYLIST_NAME, self.playlist.render().encode())

    def _open(self, first_timestamp: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for stale in self.directory.iterdir():  # a previous run's stream of this Space (the bot restarted)
            stale.unlink()
        self._first_timestamp = first_timestamp
        self._started_at = time.time()  # the first frame's arrival, give or take its wait in the hub's queue
        fragment_us = str(round(self.segment_seconds * 1_000_000))
        options = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "frag_duration": fragment_us}
        self._container = av.open(self._boxes, "w", format="mp4", options={**options, "flush_packets": "1"})
        stream = self._container.add_stream("opus", rate=SAMPLE_RATE)
        stream.codec_context.layout = "stereo" if CHANNELS == 2 else "mono"
        stream.codec_context.extradata = _OPUS_HEAD
        stream.time_base = _TIME_BASE
        self._stream = stream

    def _collect(self, *, end_pts: int) -> None:
        """Publish what the muxer finished: the header once, then each fragment (moof then mdat) as a segment
        ending at ``end_pts`` (the muxer cuts a fragment when the packet after it arrives)."""
        for kind, box in self._boxes.take():
            if kind in _HEADER_BOXES:
                self._header += box
                if kind == b"moov":
                    self._publish(INIT_NAME, self._header)
            elif kind == b"moof":
                self._moof = box
            elif kind == b"mdat" and self._moof:
                self._add_segment(self._moof + box, end_pts)
                self._moof = b""

    def _add_segment(self, data: bytes, end_pts: int) -> None:
        index = len(self.listed_at)
        self._publish(segment_name(index), data)
        seconds = (end_pts - self._fragment_start) / SAMPLE_RATE
        started_at = self._started_at + self._fragment_start / SAMPLE_RATE
        self._fragment_start = end_pts
        dropped = self.playlist.add(Segment(index, seconds, started_at))
        self._publish(PLAYLIST_NAME, self.playlist.render().encode())
        self.listed_at[index] = time.monotonic()
        if dropped is not None:
            # RFC 8216 §6.2.2: a segment stays available for its duration plus the playlist's after it leaves.
            with contextlib.suppress(FileNotFoundError):
                (self.directory / segment_name(dropped.index - self.window - 1)).unlink()

    def _publish(self, name: str, data: bytes) -> None:
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, self.directory / name)


def sweep(root: Path, *, linger: float, now: float | None = None) -> list[str]:
    """Delete the stream directories under ``root`` whose playlist has not changed for ``linger`` seconds (ended,
    or left behind by a bot that stopped); returns their names. A live stream rewrites its playlist every segment."""
    now = time.time() if now is None else now
    gone: list[str] = []
    if not root.is_dir():
        return gone
    for directory in root.iterdir():
        playlist = directory / PLAYLIST_NAME
        try:
            changed = playlist.stat().st_mtime if playlist.exists() else directory.stat().st_mtime
        except FileNotFoundError:
            continue
        if directory.is_dir() and now - changed >= linger:
            shutil.rmtree(directory, ignore_errors=True)
            gone.append(directory.name)
    return gone
