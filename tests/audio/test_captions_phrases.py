"""Phrase cutting on one speaker's frames: the real PyAV resampler and the real WebRTC VAD.

Voiced frames are a 140 Hz square wave (a buzz the VAD takes for voice, frame after frame); unvoiced are zeros.
"""

from __future__ import annotations

import numpy as np
import pytest

from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS, Pcm
from spaces_core.captions.phrases import RATE, PhraseCutter, Resampler16k, Utterance
from spaces_core.captions.transcriber import DropOldestQueue

_T = np.arange(FRAME_SAMPLES) / 48_000


def voiced(index: int) -> Pcm:
    wave = 0.3 * np.sign(np.sin(2 * np.pi * 140 * (_T + index * FRAME_SECONDS))).astype(np.float32)
    return np.stack([wave, wave], axis=1)


def quiet() -> Pcm:
    return np.zeros((FRAME_SAMPLES, 2), dtype=np.float32)


def feed(cutter: PhraseCutter, pattern: list[tuple[bool, float]]) -> list[tuple[float, Utterance]]:
    """Feeds (voiced?, seconds) runs in order; returns each phrase with the time of the frame that ended it."""
    out: list[tuple[float, Utterance]] = []
    index = 0
    for is_voiced, seconds in pattern:
        for _ in range(round(seconds / FRAME_SECONDS)):
            at = index * FRAME_SECONDS
            frame = voiced(index) if is_voiced else quiet()
            out.extend((at, phrase) for phrase in cutter.push(frame, at))
            index += 1
    return out


def test_a_phrase_ends_after_300_ms_of_silence() -> None:
    [(ended_at, phrase)] = feed(PhraseCutter(7), [(False, 1.0), (True, 1.0), (False, 1.0)])
    assert phrase.speaker_id == 7
    assert phrase.start == pytest.approx(0.8, abs=0.06)  # 200 ms of pre-roll before the voice
    assert phrase.end == pytest.approx(2.0, abs=0.06)
    assert 2.28 <= ended_at <= 2.4  # not before 300 ms of silence, and not long after
    assert len(phrase.samples) / RATE == pytest.approx(1.5, abs=0.1)  # pre-roll + voice + the silence that ended it


def test_a_short_pause_does_not_split_a_phrase_but_a_longer_one_does() -> None:
    short = feed(PhraseCutter(1), [(True, 1.0), (False, 0.2), (True, 1.0), (False, 0.5)])
    assert len(short) == 1
    long = feed(PhraseCutter(1), [(True, 1.0), (False, 0.4), (True, 1.0), (False, 0.5)])
    assert [p.end for _, p in long] == [pytest.approx(1.0, abs=0.06), pytest.approx(2.4, abs=0.06)]
    # The second voice starts at 1.4; its pre-roll only reaches back to where the first phrase's audio ended.
    assert long[1][1].start == pytest.approx(1.3, abs=0.06)


def test_a_long_monologue_is_cut_every_8_seconds() -> None:
    cutter = PhraseCutter(2)
    phrases = [p for _, p in feed(cutter, [(True, 20.0)])] + cutter.flush()
    durations = [p.end - p.start for p in phrases]
    assert durations == [pytest.approx(8.0, abs=0.05), pytest.approx(8.0, abs=0.05), pytest.approx(4.0, abs=0.1)]
    assert phrases[1].start == pytest.approx(phrases[0].end, abs=0.03)  # cut, not lost: the next one starts there


def test_a_click_is_no_phrase_and_silence_is_none() -> None:
    cutter = PhraseCutter(3)
    assert feed(cutter, [(False, 1.0), (True, 0.1), (False, 1.0), (False, 5.0)]) == []
    assert cutter.flush() == []


def test_flush_ends_the_open_phrase() -> None:
    cutter = PhraseCutter(4)
    assert feed(cutter, [(True, 1.0)]) == []
    assert cutter.open
    [phrase] = cutter.flush()
    assert phrase.end - phrase.start == pytest.approx(1.0, abs=0.05)
    assert not cutter.open


def test_resampling_keeps_the_duration() -> None:
    resampler = Resampler16k()
    pieces = [resampler.push(voiced(i)) for i in range(50)] + [resampler.flush()]
    assert all(piece.dtype == np.int16 and piece.ndim == 1 for piece in pieces)
    assert sum(len(piece) for piece in pieces) == pytest.approx(50 * 320, abs=2)  # one second at 16 kHz


def test_back_pressure_drops_the_oldest_and_counts_it() -> None:
    queue: DropOldestQueue[int] = DropOldestQueue(3)
    for item in range(1, 6):
        queue.put(item)
    assert queue.dropped == 2
    assert [queue.get(), queue.get(), queue.get()] == [3, 4, 5]
    queue.close()
    assert queue.get() is None
