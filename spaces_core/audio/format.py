"""The one audio format every part of spaces_core.audio speaks.

48 kHz stereo, 20 ms frames. Stereo, not mono, because Discord already sends 48 kHz stereo Opus and WebRTC
Opus is stereo-capable: keeping two channels end to end avoids a down-mix on the way in and an up-mix on the
way out, and costs almost nothing (Opus codes near-identical channels jointly). PCM travels as float32 arrays
of shape ``(FRAME_SAMPLES, CHANNELS)`` in [-1.0, 1.0]; float keeps the mixer's headroom until the limiter.
"""

from __future__ import annotations

from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "CHANNELS",
    "FRAME_SAMPLES",
    "FRAME_SECONDS",
    "SAMPLE_RATE",
    "Pcm",
    "from_int16",
    "silence",
    "to_int16",
]

SAMPLE_RATE: Final = 48_000
CHANNELS: Final = 2
FRAME_SAMPLES: Final = 960  # per channel: 20 ms at 48 kHz, Discord's and WebRTC's Opus frame
FRAME_SECONDS: Final = FRAME_SAMPLES / SAMPLE_RATE

Pcm: TypeAlias = npt.NDArray[np.float32]
"""One frame: float32, shape (FRAME_SAMPLES, CHANNELS), full scale 1.0."""

_INT16_SCALE: Final = 32768.0


def silence() -> Pcm:
    """A fresh silent frame (fresh so callers may write into it)."""
    return np.zeros((FRAME_SAMPLES, CHANNELS), dtype=np.float32)


def from_int16(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
    """int16 samples to float32 in [-1, 1], shape kept."""
    return samples.astype(np.float32) / np.float32(_INT16_SCALE)


def to_int16(pcm: Pcm) -> npt.NDArray[np.int16]:
    """A float frame to interleaved int16 of shape (1, FRAME_SAMPLES * CHANNELS), PyAV's packed layout.

    The clip only guards rounding at +1.0; the mixer's limiter keeps real audio below full scale.
    """
    scaled: npt.NDArray[np.int16] = np.clip(np.rint(pcm * _INT16_SCALE), -32768, 32767).astype(np.int16)
    return scaled.reshape(1, FRAME_SAMPLES * CHANNELS)
