"""Per-speaker jitter buffer: RTP packets in at network time, one Opus payload out per 20 ms playout tick.

The playout side is driven by the mixer's clock (one ``pop_frame()`` per tick), the input side by the network.
Keyed by RTP sequence number: Discord sends one 20 ms Opus frame per packet and keeps the sequence contiguous
across the pauses where it stops sending, so sequence order is playout order and a pause needs no silence.

Delay is kept between a target (from the RFC 3550 jitter estimate, so a steady link gets 40 ms and a jittery
one more) and a hard maximum. Clock drift between the speaker's sound card and ours shows up as a buffer that
slowly fills or drains: a buffer that stayed above target for a whole second drops one frame; a buffer that
runs dry holds its position and conceals, which repeats (PLC-extends) the audio by one frame.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Final

from spaces_core.audio.format import FRAME_SECONDS, SAMPLE_RATE

__all__ = ["Gap", "JitterBuffer", "JitterStats", "RtpAudio"]

_SEQ_MOD: Final = 1 << 16
_TS_MOD: Final = 1 << 32
_RESYNC_FRAMES: Final = 3000  # a jump of a minute either way is a new stream (client restart), not loss
_DRIFT_WINDOW: Final = 50  # ticks (1 s) the buffer must stay above target before a frame is dropped


@dataclass(frozen=True, slots=True)
class RtpAudio:
    """One received, decrypted RTP packet carrying one 20 ms Opus frame."""

    sequence: int  # 16-bit RTP sequence number
    timestamp: int  # 32-bit RTP timestamp, 48 kHz units
    payload: bytes  # the Opus packet


class Gap(enum.Enum):
    """What ``pop_frame`` returns when it has no payload for this tick."""

    LOST = "lost"  # a frame was due and is missing: conceal it (Opus PLC)
    SILENT = "silent"  # the speaker is not talking, or the buffer is refilling: contribute nothing


@dataclass(slots=True)
class JitterStats:
    received: int = 0
    played: int = 0
    concealed: int = 0  # ticks answered with Gap.LOST
    late: int = 0  # arrived after their slot was played or concealed
    duplicates: int = 0
    dropped_overflow: int = 0  # discarded to keep the delay under the maximum
    dropped_drift: int = 0  # discarded because the buffer stayed above target (sender clock faster)
    restarts: int = 0  # sequence jumps treated as a new stream


class JitterBuffer:
    """Reorders, de-duplicates and paces one speaker's packets. Not thread-safe; one event loop owns it.

    ``arrival`` is a monotonic time in seconds (``loop.time()``); it only feeds the jitter estimate.
    """

    def __init__(self, *, min_delay_frames: int = 2, max_delay_frames: int = 10, idle_after_frames: int = 5):
        if not 1 <= min_delay_frames < max_delay_frames:
            raise ValueError("need 1 <= min_delay_frames < max_delay_frames")
        self._min_delay = min_delay_frames
        self._max_delay = max_delay_frames
        self._idle_after = idle_after_frames
        self.stats = JitterStats()
        self._reset()

    def _reset(self) -> None:
        self._packets: dict[int, bytes] = {}  # extended (unwrapped) sequence number -> payload
        self._seen = False  # any packet yet; until then there is nothing to unwrap sequence numbers against
        self._highest = 0
        self._started = False
        self._next = 0  # next sequence to play; once started, also the floor under which packets are late
        self._playing = False
        self._misses = 0
        self._window_min = math.inf
        self._window_ticks = 0
        self._jitter = 0.0  # seconds, RFC 3550 §6.4.1 estimator
        self._last_transit: tuple[float, int] | None = None

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def jitter_seconds(self) -> float:
        return self._jitter

    @property
    def target_frames(self) -> int:
        # Three mean deviations cover nearly every arrival; +1 is the frame being played out.
        wanted = math.ceil(3 * self._jitter / FRAME_SECONDS) + 1
        return max(self._min_delay, min(wanted, self._max_delay - 1))

    @property
    def delay_frames(self) -> int:
        """Frames held ahead of the playout point: the latency this buffer adds, in 20 ms units."""
        if not self._playing and not self._packets:
            return 0
        return max(0, self._highest - self._oldest() + 1)

    def _oldest(self) -> int:
        return self._next if self._playing else min(self._packets)

    def push(self, packet: RtpAudio, arrival: float) -> None:
        sequence = self._extend(packet.sequence)
        if self._seen and abs(sequence - self._highest) > _RESYNC_FRAMES:
            self._reset()
            self.stats.restarts += 1
            sequence = packet.sequence
        self.stats.received += 1
        self._estimate_jitter(packet.timestamp, arrival)
        if self._started and sequence < self._next:
            self.stats.late += 1
            return
        if sequence in self._packets:
            self.stats.duplicates += 1
            return
        self._packets[sequence] = packet.payload
        self._highest = max(self._highest, sequence) if self._seen else sequence
        self._seen = True
        self._bound_delay()

    def pop_frame(self) -> bytes | Gap:
        """The payload to decode for this 20 ms tick, or why there is none."""
        if not self._playing and not self._start():
            return Gap.SILENT
        payload = self._packets.pop(self._next, None)
        if payload is None:
            return self._miss()
        self._next += 1
        self._misses = 0
        self.stats.played += 1
        self._steer_drift()
        return payload

    def _start(self) -> bool:
        if not self._packets:
            return False
        first = min(self._packets)
        if self._highest - first + 1 < self.target_frames:
            return False
        self._next = first
        self._started = self._playing = True
        self._window_min, self._window_ticks = math.inf, 0
        return True

    def _miss(self) -> Gap:
        self._misses += 1
        if self._misses > self._idle_after:
            # The speaker stopped sending; concealing further would only invent sound.
            self._playing = False
            self._misses = 0
            # The next talk spurt's first packet says nothing about network jitter: don't let it count.
            self._last_transit = None
            return Gap.SILENT
        self.stats.concealed += 1
        if self._highest >= self._next:
            self._next += 1  # newer packets are here, so this one is lost: move on
        # else the buffer ran dry (jitter spike or a slower sender clock): hold position so the packet still
        # plays when it arrives; the concealed frame has stretched the delay by one frame.
        return Gap.LOST

    def _bound_delay(self) -> None:
        floor = self._highest - self._max_delay + 1
        if self._oldest() >= floor:
            return
        for sequence in [s for s in self._packets if s < floor]:
            del self._packets[sequence]
            self.stats.dropped_overflow += 1
        if self._playing:
            self._next = floor

    def _steer_drift(self) -> None:
        self._window_min = min(self._window_min, self._highest - self._next + 1)
        self._window_ticks += 1
        if self._window_ticks < _DRIFT_WINDOW:
            return
        # Only the minimum over a whole window is safe to remove: it is latency jitter never needed.
        if self._window_min > self.target_frames and self._packets.pop(self._next, None) is not None:
            self._next += 1
            self.stats.dropped_drift += 1
        self._window_min, self._window_ticks = math.inf, 0

    def _extend(self, sequence: int) -> int:
        if not self._seen:
            return sequence
        delta = (sequence - self._highest + _SEQ_MOD // 2) % _SEQ_MOD - _SEQ_MOD // 2
        return self._highest + delta

    def _estimate_jitter(self, timestamp: int, arrival: float) -> None:
        if self._last_transit is not None:
            last_arrival, last_timestamp = self._last_transit
            elapsed_rtp = ((timestamp - last_timestamp + _TS_MOD // 2) % _TS_MOD - _TS_MOD // 2) / SAMPLE_RATE
            deviation = abs((arrival - last_arrival) - elapsed_rtp)
            self._jitter += (deviation - self._jitter) / 16
        self._last_transit = (arrival, timestamp)
