"""The recorder: the Space's audio to an Ogg/Opus file through PyAV, leaving out speakers who opted out.

A ``PcmTap`` of the mix engine: each tick it gets every allowed speaker's decoded frame and the mix. While no
one in the frame has opted out it records the mix as is; otherwise it mixes the others again with a mixer of
its own (its own limiter), so an opted-out voice is never in the file, not even under the limiter. Frames are
queued on the loop and encoded and written by PyAV's libopus/Ogg muxer in a worker thread every few hundred
milliseconds, so the 20 ms heartbeat never waits for the disk. One extra encode per recorded Space, none per
listener. ``stop()`` writes what is queued and closes the file; a recording never started writes nothing.

A crash must not take the recording with it: the muxer closes an Ogg page every ``PAGE_SECONDS`` and hands every
packet's bytes to the OS at once (``flush_packets``), instead of holding them in its 32 KB buffer (4 s of audio)
until ``close()``. Ogg is a stream of self-contained pages, so a file cut anywhere plays up to its last whole
page: a ``kill -9`` loses at most about two pages and the queue (about a second). Not fsynced: that guards
against a crash of the process, not of the machine.

``join_parts`` makes one replay of the parts a Space's recording was written in (a new part each time the bot
started recording it, e.g. after a restart): a remux, packets copied as they are, no decode and no re-encode.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import av

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm, to_int16
from spaces_core.audio.mixer import MixedFrame, Mixer, SpeakerId

__all__ = ["Recorder", "join_parts"]

log = logging.getLogger(__name__)

FLUSH_INTERVAL: Final = 0.2
PAGE_SECONDS: Final = 0.5  # the muxer keeps its last page back until the next one: up to two pages unwritten
_MUXER_OPTIONS: Final = {"flush_packets": "1", "page_duration": str(int(PAGE_SECONDS * 1_000_000))}
MAX_QUEUED_FRAMES: Final = 500  # 10 s: a disk that stalls longer loses audio rather than the bot's memory


class Recorder:
    def __init__(self, path: Path, *, opted_out: Iterable[SpeakerId] = (), bitrate: int = 64_000) -> None:
        self.path = path
        self._opted_out = frozenset(opted_out)
        self._bitrate = bitrate
        self._remix = Mixer()
        self._queue: list[Pcm] = []
        self._container: Any = None
        self._stream: Any = None
        self._pts = 0
        self._task: asyncio.Task[None] | None = None
        self._in_flight: asyncio.Future[None] | None = None  # the write on its worker thread now, if any
        self.frames_written = 0
        self.frames_dropped = 0

    def set_opted_out(self, speakers: Iterable[SpeakerId]) -> None:
        self._opted_out = frozenset(speakers)

    def __call__(self, frames: Mapping[SpeakerId, Pcm], mixed: MixedFrame) -> None:
        if self._task is None:
            return
        if len(self._queue) >= MAX_QUEUED_FRAMES:
            self.frames_dropped += 1
            return
        if self._opted_out.isdisjoint(frames):
            self._queue.append(mixed.pcm)
        else:
            kept = {speaker: pcm for speaker, pcm in frames.items() if speaker not in self._opted_out}
            self._remix.set_allowed(kept)
            self._queue.append(self._remix.mix(kept).pcm)

    async def start(self) -> None:
        if self._task is None:
            await asyncio.to_thread(self._open)
            self._task = asyncio.create_task(self._run(), name=f"recorder {self.path.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self._in_flight is not None:
            # Cancelling the task does not stop a write already on its thread; the container is not thread-safe,
            # so closing it beside that write crashed the process (a segfault in libopus, seen in a full test run).
            await self._in_flight
        pending, self._queue = self._queue, []
        await asyncio.to_thread(self._write_and_close, pending)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            pending, self._queue = self._queue, []
            if pending:
                self._in_flight = asyncio.ensure_future(asyncio.to_thread(self._write, pending))
                await asyncio.shield(self._in_flight)  # a stop waits for it rather than lose or race it

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._container = av.open(str(self.path), "w", format="ogg", container_options=dict(_MUXER_OPTIONS))
        stream = self._container.add_stream("libopus", rate=SAMPLE_RATE)
        stream.layout = "stereo" if CHANNELS == 2 else "mono"
        stream.format = "s16"
        stream.bit_rate = self._bitrate
        stream.options = {"application": "audio", "frame_duration": "20"}
        self._stream = stream

    def _write(self, frames: list[Pcm]) -> None:
        for pcm in frames:
            frame = av.AudioFrame.from_ndarray(to_int16(pcm), format="s16", layout=self._stream.layout.name)
            frame.sample_rate = SAMPLE_RATE
            frame.pts = self._pts
            frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
            self._pts += FRAME_SAMPLES
            self._container.mux(self._stream.encode(frame))
            self.frames_written += 1

    def _write_and_close(self, frames: list[Pcm]) -> None:
        self._write(frames)
        self._container.mux(self._stream.encode(None))
        self._container.close()


def join_parts(parts: Sequence[Path], destination: Path) -> int:
    """Remux the parts, in order, into one Ogg/Opus stream at ``destination``; returns the packets written.

    Each part starts at its own zero and ends with the encoder's flush packet, whose duration trims the last
    frame. Inside the joined stream, the parts' packets are shifted to follow each other 20 ms apart and every
    part but the last drops its flush packet (only a stream's end may be trimmed in Ogg), so players see one
    gap-free, seekable timeline; a seam costs a few milliseconds of the next part's encoder warm-up. A part cut
    short by a crash is read up to its last whole page; an empty or unreadable part is skipped. Nothing written
    (0) leaves no file behind.
    """
    written, next_pts = 0, 0
    with av.open(str(destination), "w", format="ogg") as output:
        stream: Any = None
        for index, part in enumerate(parts):
            with _opened(part) as source:
                if source is None:
                    continue
                packets = _whole_packets(source)
                if index < len(parts) - 1:
                    packets = packets[:-1]
                if not packets:
                    continue
                if stream is None:
                    stream = output.add_stream_from_template(source.streams.audio[0])
                shift = next_pts - packets[0].pts
                for packet in packets:
                    packet.pts += shift
                    packet.dts = packet.pts
                    packet.stream = stream
                    output.mux(packet)
                next_pts = packets[-1].pts + FRAME_SAMPLES
                written += len(packets)
    if not written:
        destination.unlink(missing_ok=True)
    return written


@contextlib.contextmanager
def _opened(part: Path) -> Iterator[Any]:
    try:
        source = av.open(str(part))
        source.streams.audio[0]
    except (av.FFmpegError, IndexError) as exc:
        log.warning("recording part %s is unreadable, left out of the replay: %s", part.name, exc)
        yield None
        return
    with source:
        yield source


def _whole_packets(source: Any) -> list[Any]:
    packets: list[Any] = []
    with contextlib.suppress(av.FFmpegError):  # a page torn by a crash: keep what came before it
        packets.extend(p for p in source.demux(source.streams.audio[0]) if p.pts is not None and p.size)
    return packets
