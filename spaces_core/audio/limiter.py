"""A look-ahead peak limiter that keeps the mix under full scale without clipping.

Summing several loud speakers goes past full scale; hard clipping would flatten the waveform into plateaus
(harsh, and Opus spends bits on the distortion). Instead the limiter computes, per sample, the gain that
keeps that sample under the ceiling, and glides to it: the gain at each sample is the average of the
minima over the next ``lookahead`` samples, which both reaches every peak in time (the average of values
that are each <= the gain a sample needs is <= that gain) and spreads the attack over ~2 ms. Recovery is a
slow linear release, so speech is not pumped.

No added latency: the look-ahead stops at the end of the frame. The price is that an onset in a frame's
first 2 ms cannot be anticipated by the previous frame, so the gain steps down at the boundary instead of
gliding; it still never overshoots. Zero latency matters more here: a speaker removed from the mix must
be gone from the very next output frame, with no tail of theirs left in a delay line.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm

__all__ = ["DEFAULT_CEILING", "Limiter"]

DEFAULT_CEILING: Final = 0.891  # -1 dBFS: leaves room for the codec's own overshoot on decode
_TINY: Final = 1e-9


class Limiter:
    """Stateful across frames (gain and the recent per-sample requirements); one per output mix."""

    def __init__(
        self,
        *,
        ceiling: float = DEFAULT_CEILING,
        lookahead_samples: int = 96,
        release_seconds: float = 0.25,
    ) -> None:
        if not 0.0 < ceiling <= 1.0:
            raise ValueError("ceiling must be in (0, 1]")
        if not 1 <= lookahead_samples <= FRAME_SAMPLES:
            raise ValueError("lookahead must be between 1 sample and one frame")
        self._ceiling = np.float32(ceiling)
        self._lookahead = lookahead_samples
        self._release_step = 1.0 / (release_seconds * SAMPLE_RATE)  # 0 -> 1 in release_seconds
        self._ramp = np.arange(1, FRAME_SAMPLES + 1) * self._release_step
        self._required_tail = np.ones(lookahead_samples, dtype=np.float64)
        self._tail_clear = True  # every entry of _required_tail is 1.0
        self._gain = 1.0
        # What the full computation gives for a frame that needs no limiting, after frames that needed none:
        # a gain within an ulp or two of 1.0 (the release ramp's rounding), which leaves float32 samples as
        # they are. Computed the same way once here, so the fast path below stays bit-exact with it.
        self._idle_gain = float(self._release(np.ones(FRAME_SAMPLES))[-1])

    @property
    def gain(self) -> float:
        """The gain applied to the last sample, 1.0 when not limiting (for meters and tests)."""
        return self._gain

    def process(self, pcm: Pcm) -> Pcm:
        """The limited frame, always a new array."""
        if self._idle() and float(np.abs(pcm).max()) <= float(self._ceiling):
            # Nothing to limit now or in the look-ahead, gain already recovered: most frames, and the slow
            # path would compute gains that round back to these very samples (see __init__).
            self._gain = self._idle_gain
            return pcm.copy()
        lookahead = self._lookahead
        magnitude = np.abs(pcm)
        # Channel by channel: a max over an axis of length 2 costs 15 times more (numpy loops per row).
        peak = magnitude[:, 0].astype(np.float64)
        for channel in range(1, CHANNELS):
            np.maximum(peak, magnitude[:, channel], out=peak)
        required = np.minimum(1.0, float(self._ceiling) / np.maximum(peak, _TINY))
        # The previous frame's last requirements (its minima now see this frame) and no constraint beyond.
        known = np.concatenate([self._required_tail, required, np.ones(lookahead)])
        minima = _sliding_min(known, lookahead + 1)  # minima[k] starts at sample k - L
        smoothed = _moving_mean(minima[1:], lookahead)  # average of the L minima up to n
        gain = self._release(smoothed[:FRAME_SAMPLES])
        self._required_tail = required[-lookahead:]
        self._tail_clear = bool((self._required_tail == 1.0).all())
        self._gain = float(gain[-1])
        out = (pcm * gain[:, None]).astype(np.float32)
        # Float rounding of a product exactly at the ceiling can land one ulp above it; clamp that ulp only.
        limited: Pcm = np.clip(out, -self._ceiling, self._ceiling).reshape(FRAME_SAMPLES, CHANNELS)
        return limited

    def _idle(self) -> bool:
        """No pending requirement, and the release ramp from the current gain is above 1.0 from its first
        sample, so the min(…, 1.0) in ``_release`` makes the gain independent of where it starts."""
        return self._tail_clear and self._gain + self._release_step >= 1.0

    def _release(self, target: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """gain[n] = min(target[n], gain[n-1] + step): instant attack, linear release, vectorised."""
        ramp = self._ramp[: len(target)]
        from_history = self._gain + ramp
        from_targets = np.minimum.accumulate(target - ramp) + ramp
        gain: npt.NDArray[np.float64] = np.minimum(np.minimum(from_targets, from_history), 1.0)
        return gain


def _sliding_min(values: npt.NDArray[np.float64], width: int) -> npt.NDArray[np.float64]:
    """min(values[i : i + width]) for every full window, by van Herk / Gil-Werman: each window spans at most
    two blocks of ``width``, so it is the min of a suffix-min of one block and a prefix-min of the next. Same
    result as ``sliding_window_view(values, width).min(axis=1)`` (a min does not round), a tenth of its cost."""
    blocks = -(-len(values) // width)
    padded = np.full(blocks * width, np.inf)
    padded[: len(values)] = values
    grid = padded.reshape(blocks, width)
    prefix = np.minimum.accumulate(grid, axis=1).ravel()
    suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    count = len(values) - width + 1
    minima: npt.NDArray[np.float64] = np.minimum(suffix[:count], prefix[width - 1 : width - 1 + count])
    return minima


def _moving_mean(values: npt.NDArray[np.float64], width: int) -> npt.NDArray[np.float64]:
    """mean(values[i : i + width]) for every full window, equal to the bit to
    ``sliding_window_view(values, width).mean(axis=1)`` at a third of its cost (the tests hold it to that).

    For 8 <= width <= 128, a multiple of 8, numpy sums each window with eight running sums
    r[j] = v[j] + v[j + 8] + ... then ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)); here r[j] of window i
    is s[i + j], with s[t] = v[t] + v[t + 8] + ... taken for all t at once. Other widths take numpy's path.
    """
    count = len(values) - width + 1
    if width % 8 or not 8 <= width <= 128:
        mean: npt.NDArray[np.float64] = sliding_window_view(values, width).mean(axis=1)
        return mean
    span = count + 7
    sums = values[:span].copy()
    for start in range(8, width, 8):
        sums += values[start : start + span]
    pairs = sums[:-1] + sums[1:]  # r0 + r1 of window i is pairs[i], r2 + r3 is pairs[i + 2], ...
    quads = pairs[: count + 4] + pairs[2 : count + 6]
    total = quads[:count] + quads[4 : count + 4]
    total /= width
    return total
