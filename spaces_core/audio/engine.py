"""The 20 ms heartbeat: speakers' packets in, one encoded mix out to the relay hub.

``SpeakerStream`` is one speaker's jitter buffer and decoder. ``MixEngine.tick()`` is one frame of work
(pop and decode every allowed speaker, mix, encode once, publish) and is synchronous so tests and benchmarks
can drive it without a clock; ``start()`` runs it every 20 ms in a task the engine owns and ``stop()``
cancels and awaits. The receive side (Discord voice, decryption, SSRC -> user mapping) is not here: it calls
``push`` with decrypted packets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping

from spaces_core.audio.codec import OpusDecoder, OpusEncoder
from spaces_core.audio.format import FRAME_SECONDS, Pcm
from spaces_core.audio.jitter import Gap, JitterBuffer, RtpAudio
from spaces_core.audio.mixer import MixedFrame, Mixer, SpeakerId
from spaces_core.audio.relay import RelayHub

__all__ = ["MixEngine", "PcmTap", "SpeakerStream"]

PcmTap = Callable[[Mapping[SpeakerId, Pcm], MixedFrame], None]
"""Sees every tick's decoded frame of each allowed speaker and the mix (recorder, captions); must not block."""


class SpeakerStream:
    def __init__(self, jitter: JitterBuffer | None = None) -> None:
        self.jitter = jitter if jitter is not None else JitterBuffer()
        self._decoder = OpusDecoder()

    def push(self, packet: RtpAudio, arrival: float) -> None:
        self.jitter.push(packet, arrival)

    def next_frame(self) -> Pcm | None:
        """This tick's audio, concealed if its packet is lost; None while the speaker is silent."""
        payload = self.jitter.pop_frame()
        if payload is Gap.SILENT:
            return None
        return self._decoder.decode(None if payload is Gap.LOST else payload)


class MixEngine:
    def __init__(
        self,
        hub: RelayHub,
        *,
        mixer: Mixer | None = None,
        encoder: OpusEncoder | None = None,
        on_frame: Callable[[MixedFrame], None] | None = None,
    ) -> None:
        self._hub = hub
        self._mixer = mixer if mixer is not None else Mixer()
        self._encoder = encoder if encoder is not None else OpusEncoder()
        self._on_frame = on_frame  # e.g. the speaking indicators; called on the loop, must not block
        self._streams: dict[SpeakerId, SpeakerStream] = {}
        self._taps: list[PcmTap] = []
        self._task: asyncio.Task[None] | None = None

    def set_allowed(self, speakers: Iterable[SpeakerId]) -> None:
        """Takes effect at the next tick. Streams of people who left the stage are dropped with their
        buffered audio, so nothing they said before is replayed if they come back up later."""
        allowed = frozenset(speakers)
        self._mixer.set_allowed(allowed)
        for speaker in [s for s in self._streams if s not in allowed]:
            del self._streams[speaker]

    def add_tap(self, tap: PcmTap) -> None:
        self._taps.append(tap)

    def remove_tap(self, tap: PcmTap) -> None:
        if tap in self._taps:
            self._taps.remove(tap)

    def jitter_of(self, speaker: SpeakerId) -> JitterBuffer | None:
        """The speaker's jitter buffer, for its counters (what was played, concealed, dropped and why)."""
        stream = self._streams.get(speaker)
        return stream.jitter if stream is not None else None

    def push(self, speaker: SpeakerId, packet: RtpAudio, arrival: float) -> None:
        if speaker not in self._mixer.allowed:
            return  # not even buffered: an audience member's audio never reaches the mix
        stream = self._streams.get(speaker)
        if stream is None:
            stream = self._streams[speaker] = SpeakerStream()
        stream.push(packet, arrival)

    def tick(self) -> MixedFrame:
        frames = {speaker: pcm for speaker, stream in self._streams.items() if (pcm := stream.next_frame()) is not None}
        mixed = self._mixer.mix(frames)
        self._hub.publish(self._encoder.encode(mixed.pcm))
        if self._on_frame is not None:
            self._on_frame(mixed)
        for tap in self._taps:
            tap(frames, mixed)
        return mixed

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="mix engine")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            self.tick()
            deadline += FRAME_SECONDS
            late = loop.time() - deadline
            if late > 5 * FRAME_SECONDS:
                # Stalled (suspended laptop, long GC): skip ahead rather than burst out stale frames.
                deadline = loop.time()
            # Absolute deadlines, not sleep(0.02) per tick, so scheduling error never accumulates as drift.
            await asyncio.sleep(max(0.0, deadline - loop.time()))
