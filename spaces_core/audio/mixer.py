"""Mixes the allowed speakers' decoded frames into one frame, and measures each speaker's level.

Only members who may speak (host, co-hosts, speakers) are mixed. The allowed set is swapped whole by
``set_allowed`` and read once per ``mix`` call, so a change takes effect at the next frame boundary and a
frame is never mixed from half of an old set. Audio from anyone else is ignored, whatever they still send.

Frames are summed at unity gain (no 1/N scaling, which would make a lone quiet speaker quieter when others
join), and the limiter keeps the sum under full scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, Pcm, silence
from spaces_core.audio.limiter import Limiter

__all__ = ["SILENCE_DBFS", "MixedFrame", "Mixer", "SpeakerId", "rms_dbfs"]

SpeakerId: TypeAlias = int  # the Discord user id (snowflake) of a member on stage
SILENCE_DBFS: Final = -100.0  # below 16-bit's noise floor (-96 dBFS); a finite floor stays JSON-friendly
DEFAULT_SPEAKING_DBFS: Final = -45.0  # above a quiet room's noise, below soft speech


def rms_dbfs(pcm: Pcm) -> float:
    """RMS level over both channels in dBFS (full scale 1.0, so a full-scale sine reads about -3 dBFS)."""
    return _dbfs(float(np.mean(np.square(pcm, dtype=np.float64))))


def _dbfs(mean_square: float) -> float:
    rms = math.sqrt(mean_square)
    return max(SILENCE_DBFS, 20.0 * math.log10(rms)) if rms > 0.0 else SILENCE_DBFS


@dataclass(frozen=True, slots=True)
class MixedFrame:
    pcm: Pcm
    levels: Mapping[SpeakerId, float]  # dBFS of each mixed speaker's own frame, before the limiter

    def speaking(self, threshold_dbfs: float = DEFAULT_SPEAKING_DBFS) -> frozenset[SpeakerId]:
        """Who is audibly speaking in this frame; callers add hold time so indicators don't flicker."""
        return frozenset(speaker for speaker, level in self.levels.items() if level >= threshold_dbfs)


class Mixer:
    def __init__(self, allowed: Iterable[SpeakerId] = (), *, limiter: Limiter | None = None) -> None:
        self._allowed = frozenset(allowed)
        self._limiter = limiter if limiter is not None else Limiter()

    @property
    def allowed(self) -> frozenset[SpeakerId]:
        return self._allowed

    def set_allowed(self, speakers: Iterable[SpeakerId]) -> None:
        self._allowed = frozenset(speakers)

    def mix(self, frames: Mapping[SpeakerId, Pcm]) -> MixedFrame:
        allowed = self._allowed  # read once: the whole frame uses one consistent set
        speakers: list[SpeakerId] = []
        pcms: list[Pcm] = []
        for speaker, pcm in frames.items():
            if speaker not in allowed:
                continue
            if pcm.shape != (FRAME_SAMPLES, CHANNELS):
                raise ValueError(f"speaker {speaker}: frame shape {pcm.shape}, expected {(FRAME_SAMPLES, CHANNELS)}")
            speakers.append(speaker)
            pcms.append(pcm)
        if not pcms:
            # Through the limiter even when silent: its gain must keep recovering on schedule.
            return MixedFrame(pcm=self._limiter.process(silence()), levels={})
        # One array for all speakers: a few numpy calls per frame instead of a few per speaker.
        stacked = np.stack(pcms)
        total = _sum_frames(stacked, pcms)
        return MixedFrame(pcm=self._limiter.process(total), levels=dict(zip(speakers, _levels(stacked), strict=True)))


def _sum_frames(stacked: npt.NDArray[np.floating[Any]], pcms: list[Pcm]) -> Pcm:
    if stacked.dtype != np.float32:
        # Frames of another dtype are summed the way they always were: into float32, one at a time.
        total = silence()
        for pcm in pcms:
            total += pcm
        return total
    # numpy reduces the first axis row after row: the same additions in the same order as the loop above.
    summed: Pcm = np.add.reduce(stacked, axis=0)
    return summed


def _levels(stacked: npt.NDArray[np.floating[Any]]) -> list[float]:
    """``rms_dbfs`` of each frame, to the bit: numpy sums each row as it sums one whole frame."""
    squares = np.square(stacked, dtype=np.float64).reshape(len(stacked), -1)
    means: list[float] = np.mean(squares, axis=1).tolist()
    return [_dbfs(mean) for mean in means]
