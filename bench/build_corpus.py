"""Builds the captions benchmark's corpus from real recorded speech (and espeak-ng voices with ``--espeak``).

Run: `.venv/bin/python -m bench.build_corpus --out DIR` (audio is written to DIR, never committed). The real speech
is pocketsphinx's sdist's test data (sandbox/real_speech.py: LibriVox sentences, a few short commands by other
speakers, each with its reference), which `scripts/install` downloads into ``.cache/speech/``; ``--sdist`` names
another copy. Layout, as `bench.bench_captions` reads it:

- ``clips/NAME.wav`` + ``clips/NAME.txt``: one utterance and its reference;
- ``conversations/NAME/SPEAKER.wav`` + ``SPEAKER.txt``: one time-aligned stream per speaker, its reference text;
- ``conversations/NAME/phrases.tsv``: ``speaker start_s end_s text``, one row per phrase, times in the streams.

Conversations: ``together`` has three speakers starting at the same moment (phrases of similar lengths, so they end
close together and wait for the transcriber at once); ``staggered`` starts them 0.7 s apart. A phrase's times in
``phrases.tsv`` are its speech's, so latency counts from the end of the last word: from the sdist's forced
alignment for the LibriVox sentences, by energy for the others (`speech_span`).
"""

from __future__ import annotations

import argparse
import csv
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from sandbox.real_speech import Recording, recordings

Mono = npt.NDArray[np.float32]
RATE: Final = 16_000
GAP_S: Final = 1.2  # silence between one speaker's phrases: well over the cutter's 0.3 s
MARGIN_S: Final = 0.05  # of the recording's own silence kept around its speech
# Who says what: three streams of real speech (the LibriVox reader's sentences shared out, the others' commands
# between them). The same recording never plays on two streams of one conversation.
TOGETHER: Final = (
    ("librivox-0870", "cards-002", "librivox-0930"),
    ("librivox-0920", "goforward", "cards-003"),
    ("librivox-0890", "forever", "librivox-0880"),
)
STAGGERED: Final = (
    ("librivox-0880", "librivox-0920", "cards-005"),
    ("forever", "librivox-0870", "cards-001"),
    ("goforward", "librivox-0890", "librivox-0930"),
)
ESPEAK_VOICES: Final = ("en", "en-us", "en+f3")
ESPEAK_SENTENCES: Final = (
    ("Glue the sheet to the dark blue background.", "Rice is often served in round bowls."),
    ("It is easy to tell the depth of a well.", "The juice of lemons makes fine punch."),
    ("These days a chicken leg is a rare dish.", "The box was thrown beside the parked truck."),
)


def write_wav(path: Path, mono: Mono) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes((np.clip(mono, -1, 1) * 32767).astype("<i2").tobytes())


def speech_span(samples: Mono) -> tuple[float, float]:
    """Where the speech is (s), by energy: 10 ms frames louder than both 3 % of the loudest frame's RMS and four
    times the noise floor (the 10th percentile). Within ±0.2 s of the forced alignment on the LibriVox sentences."""
    frames = len(samples) // 160
    rms = np.sqrt(np.mean(samples[: frames * 160].reshape(frames, 160) ** 2, axis=1))
    loud = np.flatnonzero(rms > max(0.03 * rms.max(), 4 * np.percentile(rms, 10)))
    return loud[0] / 100, (loud[-1] + 1) / 100


@dataclass(frozen=True)
class Said:
    """A phrase's audio with MARGIN_S around its speech (less where the recording has none), and its text."""

    samples: Mono
    lead_s: float  # where the speech starts in ``samples``
    speech_s: float  # how long it lasts
    text: str


def said(samples: Mono, span: tuple[float, float], text: str) -> Said:
    begin, end = max(0.0, span[0] - MARGIN_S), min(len(samples) / RATE, span[1] + MARGIN_S)
    return Said(samples[round(begin * RATE) : round(end * RATE)], span[0] - begin, span[1] - span[0], text)


def of_recording(recording: Recording) -> Said:
    span = recording.words_span or speech_span(recording.samples)
    return said(recording.samples, span, recording.text)


def write_clips(out: Path, clips: Sequence[Recording]) -> None:
    """Whole recordings, their own silence kept: a clip is judged on its words only."""
    (out / "clips").mkdir(parents=True, exist_ok=True)
    for clip in clips:
        write_wav(out / "clips" / f"{clip.name}.wav", clip.samples)
        (out / "clips" / f"{clip.name}.txt").write_text(clip.text + "\n")


def write_conversation(talk: Path, streams: Sequence[Sequence[Said]], offset_s: float) -> None:
    """Speaker ``i`` (from 1) starts at 0.3 + ``offset_s`` × (i - 1) s and says its phrases with GAP_S between;
    a row's times are its speech's, not its margins'."""
    talk.mkdir(parents=True, exist_ok=True)
    rows = []
    for speaker, phrases in enumerate(streams, start=1):
        at = 0.3 + offset_s * (speaker - 1)
        pieces = [np.zeros(round(at * RATE), np.float32)]
        for phrase in phrases:
            start = at + phrase.lead_s
            rows.append((speaker, start, start + phrase.speech_s, phrase.text))
            pieces += [phrase.samples, np.zeros(round(GAP_S * RATE), np.float32)]
            at += len(phrase.samples) / RATE + GAP_S
        write_wav(talk / f"{speaker}.wav", np.concatenate(pieces))
        (talk / f"{speaker}.txt").write_text(" ".join(phrase.text for phrase in phrases) + "\n")
    with (talk / "phrases.tsv").open("w", newline="") as table:
        writer = csv.writer(table, delimiter="\t")
        writer.writerow(["speaker", "start_s", "end_s", "text"])
        writer.writerows((s, f"{a:.3f}", f"{b:.3f}", t) for s, a, b, t in sorted(rows, key=lambda r: r[2]))


def espeak(text: str, voice: str) -> Mono:
    from sandbox.speech import speech  # espeak-ng, 48 kHz: only --espeak needs it

    spoken = speech(text, voice=voice)
    # 48 → 16 kHz, each output sample the mean of three (a crude low-pass: enough against aliasing for speech).
    resampled: Mono = spoken[: len(spoken) // 3 * 3].reshape(-1, 3).mean(axis=1).astype(np.float32)
    return resampled


def build(out: Path, sdist: Path | None, with_espeak: bool) -> None:
    real = {r.name: r for r in recordings(sdist)}
    write_clips(out, list(real.values()))
    for name, plan, offset in (("together", TOGETHER, 0.0), ("staggered", STAGGERED, 0.7)):
        streams = [[of_recording(real[n]) for n in names] for names in plan]
        write_conversation(out / "conversations" / name, streams, offset)
    if with_espeak:
        voiced = [
            [said(spoken, speech_span(spoken), text) for text in sentences if (spoken := espeak(text, voice)).size]
            for voice, sentences in zip(ESPEAK_VOICES, ESPEAK_SENTENCES, strict=True)
        ]
        write_conversation(out / "conversations" / "espeak", voiced, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sdist", type=Path, default=None, help="a pocketsphinx-*.tar.gz (default: .cache/speech/)")
    parser.add_argument("--espeak", action="store_true", help="add a conversation of three espeak-ng voices")
    args = parser.parse_args()
    build(args.out, args.sdist, args.espeak)
    clips = len(list((args.out / "clips").glob("*.wav")))
    talks = sorted(p.name for p in (args.out / "conversations").iterdir())
    print(f"{args.out}: {clips} clips, conversations {', '.join(talks)}")


if __name__ == "__main__":
    main()
