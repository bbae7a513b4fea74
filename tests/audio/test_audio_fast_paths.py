"""The faster limiter and mixer compute what the straightforward numpy formulation computes, to the bit.

``reference_limit`` is the limiter as first written (sliding-window views, one ``mean`` per window, no fast
path); the shipped one must give the same samples and the same gain, frame after frame, in every regime:
silence, quiet speech, peaks at the ceiling, sustained overload and recovery.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm
from spaces_core.audio.limiter import DEFAULT_CEILING, Limiter, _moving_mean, _sliding_min
from spaces_core.audio.mixer import Mixer, rms_dbfs


class ReferenceLimiter:
    def __init__(self, *, lookahead: int = 96, release_seconds: float = 0.25) -> None:
        self.ceiling = np.float32(DEFAULT_CEILING)
        self.lookahead = lookahead
        self.step = 1.0 / (release_seconds * SAMPLE_RATE)
        self.tail = np.ones(lookahead)
        self.gain = 1.0

    def process(self, pcm: Pcm) -> Pcm:
        lookahead = self.lookahead
        peak = np.abs(pcm).max(axis=1).astype(np.float64)
        required = np.minimum(1.0, float(self.ceiling) / np.maximum(peak, 1e-9))
        known = np.concatenate([self.tail, required, np.ones(lookahead)])
        minima = sliding_window_view(known, lookahead + 1).min(axis=1)
        target = sliding_window_view(minima[1:], lookahead).mean(axis=1)[:FRAME_SAMPLES]
        ramp = np.arange(1, len(target) + 1) * self.step
        from_targets = np.minimum.accumulate(target - ramp) + ramp
        gain = np.minimum(np.minimum(from_targets, self.gain + ramp), 1.0)
        self.tail = required[-lookahead:]
        self.gain = float(gain[-1])
        out = (pcm * gain[:, None]).astype(np.float32)
        return np.clip(out, -self.ceiling, self.ceiling).reshape(FRAME_SAMPLES, CHANNELS)


def frames(seed: int, count: int) -> list[Pcm]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        loudness = rng.choice([0.0, 0.01, 0.3, 0.85, DEFAULT_CEILING, 0.95, 1.5, 4.0])
        frame = (rng.uniform(-1.0, 1.0, (FRAME_SAMPLES, CHANNELS)) * loudness).astype(np.float32)
        if rng.random() < 0.1:
            frame[rng.integers(FRAME_SAMPLES)] = np.float32(DEFAULT_CEILING)  # a peak exactly at the ceiling
        out.append(frame)
    return out


@pytest.mark.parametrize("lookahead", [96, 1, 7, 64, 100, 128, 200])
def test_limiter_matches_the_reference_to_the_bit(lookahead: int) -> None:
    limiter, reference = Limiter(lookahead_samples=lookahead), ReferenceLimiter(lookahead=lookahead)
    for frame in frames(seed=lookahead, count=300):
        got, want = limiter.process(frame), reference.process(frame)
        assert got.dtype == want.dtype
        assert np.array_equal(got, want)
        assert limiter.gain == reference.gain


def test_limiter_fast_path_returns_a_copy_of_a_quiet_frame() -> None:
    limiter = Limiter()
    frame = np.full((FRAME_SAMPLES, CHANNELS), 0.25, dtype=np.float32)
    out = limiter.process(frame)
    assert np.array_equal(out, frame)
    assert out is not frame
    assert limiter.gain == 1.0


@pytest.mark.parametrize(("length", "width"), [(1152, 97), (1055, 96), (97, 97), (200, 1), (1000, 8), (300, 130)])
def test_window_helpers_match_numpy(length: int, width: int) -> None:
    values: npt.NDArray[np.float64] = np.random.default_rng(length + width).uniform(0.0, 2.0, length)
    windows = sliding_window_view(values, width)
    assert np.array_equal(_sliding_min(values, width), windows.min(axis=1))
    assert np.array_equal(_moving_mean(values, width), windows.mean(axis=1))


def test_mixer_sum_and_levels_match_adding_and_measuring_one_speaker_at_a_time() -> None:
    speakers = dict(enumerate(frames(seed=9, count=13)))
    mixer, reference = Mixer(speakers), ReferenceLimiter()

    mixed = mixer.mix(speakers)

    total = np.zeros((FRAME_SAMPLES, CHANNELS), np.float32)
    for pcm in speakers.values():
        total += pcm
    assert np.array_equal(mixed.pcm, reference.process(total))
    assert mixed.levels == {speaker: rms_dbfs(pcm) for speaker, pcm in speakers.items()}
    assert all(math.isfinite(level) for level in mixed.levels.values())
