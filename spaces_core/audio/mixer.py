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
from typing import Final, TypeAlias

import numpy as np

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, Pcm, silence
from spaces_core.audio.limiter import Limiter

__all__ = ["SILENCE_DBFS", "MixedFrame", "Mixer", "SpeakerId", "rms_dbfs"]

SpeakerId: TypeAlias = int  # the Discord user id (snowflake) of a member on stage
SILENCE_DBFS: Final = -100.0  # below 16-bit's noise floor (-96 dBFS); a finite floor stays JSON-friendly
DEFAULT_SPEAKING_DBFS: Final = -45.0  # above a quiet room's noise, below soft speech


def rms_dbfs(pcm: Pcm) -> float:
    """RMS level over both channels in dBFS (full scale 1.0, so a full-scale sine reads about -3 dBFS)."""
    rms = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))
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
        total = silence()
        levels: dict[SpeakerId, float] = {}
        for speaker, pcm in frames.items():
            if speaker not in allowed:
                continue
            if pcm.shape != (FRAME_SAMPLES, CHANNELS):
                raise ValueError(f"speaker {speaker}: frame shape {pcm.shape}, expected {total.shape}")
            total += pcm
            levels[speaker] = rms_dbfs(pcm)
        # Through the limiter even when silent: its gain must keep recovering on schedule.
        return MixedFrame(pcm=self._limiter.process(total), levels=levels)
