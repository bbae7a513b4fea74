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
        self._required_tail = np.ones(lookahead_samples, dtype=np.float64)
        self._gain = 1.0

    @property
    def gain(self) -> float:
        """The gain applied to the last sample, 1.0 when not limiting (for meters and tests)."""
        return self._gain

    def process(self, pcm: Pcm) -> Pcm:
        lookahead = self._lookahead
        peak = np.abs(pcm).max(axis=1).astype(np.float64)
        required = np.minimum(1.0, float(self._ceiling) / np.maximum(peak, _TINY))
        # The previous frame's last requirements (its minima now see this frame) and no constraint beyond.
        known = np.concatenate([self._required_tail, required, np.ones(lookahead)])
        minima = sliding_window_view(known, lookahead + 1).min(axis=1)  # minima[k] starts at sample k - L
        smoothed = sliding_window_view(minima[1:], lookahead).mean(axis=1)  # average of the L minima up to n
        gain = self._release(smoothed[:FRAME_SAMPLES])
        self._required_tail = required[-lookahead:]
        self._gain = float(gain[-1])
        out = (pcm * gain[:, None]).astype(np.float32)
        # Float rounding of a product exactly at the ceiling can land one ulp above it; clamp that ulp only.
        limited: Pcm = np.clip(out, -self._ceiling, self._ceiling).reshape(FRAME_SAMPLES, CHANNELS)
        return limited

    def _release(self, target: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """gain[n] = min(target[n], gain[n-1] + step): instant attack, linear release, vectorised."""
        ramp = np.arange(1, len(target) + 1) * self._release_step
        from_history = self._gain + ramp
        from_targets = np.minimum.accumulate(target - ramp) + ramp
        gain: npt.NDArray[np.float64] = np.minimum(np.minimum(from_targets, from_history), 1.0)
        return gain
