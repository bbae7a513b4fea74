"""Mixer and limiter on real signals: loud voices never clip, levels read right, the allowed set holds."""

from __future__ import annotations

import numpy as np
import pytest

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm
from spaces_core.audio.limiter import DEFAULT_CEILING, Limiter
from spaces_core.audio.mixer import SILENCE_DBFS, Mixer, rms_dbfs

HOST, GUEST = 111, 222


def tone(frequency: float, amplitude: float, index: int) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    mono = (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    return np.repeat(mono[:, None], CHANNELS, axis=1)


def energy_at(pcm: np.ndarray, frequency: float) -> float:
    mono = pcm.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono)) / len(mono)
    return float(spectrum[round(frequency * len(mono) / SAMPLE_RATE)])


def longest_plateau(signal: np.ndarray, above: float) -> int:
    """Longest run of consecutive identical loud samples: hard clipping makes runs of hundreds."""
    loud = np.abs(signal) > above
    same = np.concatenate([[False], (signal[1:] == signal[:-1]) & loud[1:] & loud[:-1]])
    longest = run = 0
    for flag in same:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest + 1


def test_two_loud_tones_stay_under_full_scale_without_clipping_plateaus() -> None:
    mixer = Mixer({HOST, GUEST})
    frames = [{HOST: tone(440, 0.9, i), GUEST: tone(660, 0.9, i)} for i in range(50)]
    out = np.concatenate([mixer.mix(frame).pcm for frame in frames])[:, 0]
    naive = np.concatenate([np.clip(f[HOST] + f[GUEST], -1, 1) for f in frames])[:, 0]

    assert np.abs(out).max() <= DEFAULT_CEILING < 1.0
    assert longest_plateau(naive, above=0.5) > 20  # the test can see hard clipping...
    assert longest_plateau(out, above=0.5) <= 2  # ...and the limiter produces none
    assert energy_at(out[-FRAME_SAMPLES * 10 :, None], 440) > 0.1  # both voices still there
    assert energy_at(out[-FRAME_SAMPLES * 10 :, None], 660) > 0.1


def test_a_quiet_speaker_passes_through_untouched() -> None:
    mixer = Mixer({HOST})
    for i in range(5):
        frame = tone(440, 0.3, i)
        assert np.allclose(mixer.mix({HOST: frame}).pcm, frame, atol=1e-6)


def test_limiter_recovers_after_a_loud_burst() -> None:
    limiter = Limiter(release_seconds=0.25)
    limiter.process(tone(440, 3.0, 0))
    assert limiter.gain < 0.35
    for i in range(1, 20):  # 380 ms of quiet speech: longer than the release
        limiter.process(tone(440, 0.2, i))
    assert limiter.gain == pytest.approx(1.0)


def test_levels_are_rms_dbfs_per_mixed_speaker() -> None:
    mixed = Mixer({HOST, GUEST}).mix({HOST: tone(440, 0.5, 0), GUEST: np.zeros((FRAME_SAMPLES, CHANNELS), np.float32)})

    assert mixed.levels[HOST] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.05)  # -9.03 dBFS
    assert mixed.levels[GUEST] == SILENCE_DBFS
    assert mixed.speaking() == {HOST}
    assert rms_dbfs(tone(440, 1.0, 0)) == pytest.approx(-3.01, abs=0.05)


def test_speaker_removed_from_the_allowed_set_is_absent_from_the_very_next_frame() -> None:
    mixer = Mixer({HOST, GUEST})
    # Multiples of 50 Hz fall on the bins of a one-frame (20 ms) FFT.
    before = mixer.mix({HOST: tone(450, 0.4, 0), GUEST: tone(650, 0.4, 0)})
    assert energy_at(before.pcm, 650) > 0.1

    mixer.set_allowed({HOST})  # the guest is moved to the audience between two frames
    after = mixer.mix({HOST: tone(450, 0.4, 1), GUEST: tone(650, 0.4, 1)})  # and keeps sending

    assert GUEST not in after.levels
    assert np.allclose(after.pcm, tone(450, 0.4, 1), atol=1e-6)  # exactly the host, nothing of the guest


def test_audience_member_is_never_mixed() -> None:
    mixed = Mixer({HOST}).mix({GUEST: tone(660, 0.9, 0)})

    assert not mixed.pcm.any()
    assert mixed.levels == {}


def test_limiter_never_overshoots_on_sudden_onsets_at_frame_boundaries() -> None:
    rng = np.random.default_rng(3)
    limiter = Limiter()
    for index in range(200):
        # Silence, then bursts of up to 8 speakers' worth of noise starting right at the frame's first sample.
        loudness = 0.0 if index % 4 == 0 else rng.uniform(0.1, 8.0)
        frame = (rng.standard_normal((FRAME_SAMPLES, CHANNELS)) * loudness).astype(np.float32)
        assert np.abs(limiter.process(frame)).max() <= DEFAULT_CEILING
