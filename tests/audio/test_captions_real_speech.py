"""The packaged model transcribes packaged REAL speech: LibriVox sentences with their transcripts.

The recordings come from pocketsphinx's sdist, which `scripts/install` downloads into ``.cache/speech/``
(sandbox/real_speech.py). They are cut as the bot cuts a speaker's audio (48 kHz stereo frames → `PhraseCutter`)
and handed to the one `Transcriber` all at once, as when speakers end together, so they are decoded as a batch.
The WER bound is loose (the benchmark measures the model: docs/BENCHMARKS.md); the words are normalised for case,
punctuation and numbers.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from sandbox.real_speech import RealSpeechMissing, Recording, recordings
from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS
from spaces_core.captions.accuracy import normalise, spell_number, word_error_rate
from spaces_core.captions.phrases import PhraseCutter, Utterance
from spaces_core.captions.transcriber import Caption, ModelMissing, Transcriber, packaged_model_dir
from spaces_core.captions.whisper import without_loop
from tests.missing import CAPTIONS_MODEL, REAL_SPEECH


def librivox() -> list[Recording]:
    try:
        return [r for r in recordings() if r.speaker == "librivox"]
    except RealSpeechMissing:
        pytest.skip(REAL_SPEECH)


def as_the_bot_cuts_it(speaker: int, recording: Recording) -> list[Utterance]:
    """16 kHz → 48 kHz stereo 20 ms frames with half a second of silence after, through the speaker's cutter."""
    upsampled = np.repeat(recording.samples, 3)
    mono = np.concatenate([np.zeros(9600, np.float32), upsampled, np.zeros(24000, np.float32)])
    cutter = PhraseCutter(speaker)
    out: list[Utterance] = []
    for index in range(len(mono) // FRAME_SAMPLES):
        frame = mono[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES]
        out.extend(cutter.push(np.stack([frame, frame], axis=1), index * FRAME_SECONDS))
    return out + cutter.flush()


async def test_the_packaged_model_transcribes_librivox_within_a_loose_word_error_rate() -> None:
    said = librivox()
    try:
        packaged_model_dir()
    except ModelMissing:
        pytest.skip(CAPTIONS_MODEL)
    captions: asyncio.Queue[Caption] = asyncio.Queue()
    transcriber = Transcriber(captions.put_nowait)
    try:
        phrases = {speaker: as_the_bot_cuts_it(speaker, r) for speaker, r in enumerate(said, start=1)}
        for phrase in (p for cut in phrases.values() for p in cut):
            transcriber.submit(phrase, "en")
        count = sum(len(cut) for cut in phrases.values())
        heard = [await asyncio.wait_for(captions.get(), timeout=60) for _ in range(count)]
    finally:
        await transcriber.close()
    by_speaker = [" ".join(c.text for c in heard if c.speaker_id == speaker) for speaker in phrases]
    reference = " ".join(r.text for r in said)
    assert word_error_rate(reference, " ".join(by_speaker)) <= 0.15, by_speaker
    # Each sentence came back under its own speaker, not mixed with the others decoded in the same batch.
    for recording, text in zip(said, by_speaker, strict=True):
        assert word_error_rate(recording.text, text) <= 0.3, (recording.text, text)


def test_the_word_error_rate_spells_numbers_and_titles_on_both_sides() -> None:
    assert normalise("Go forward 10 meters, Mr. Smith!") == ["go", "forward", "ten", "meters", "mister", "smith"]
    assert normalise("the 21st of 1,200") == ["the", "twenty", "first", "of", "one", "thousand", "two", "hundred"]
    assert normalise("3.5% off") == ["three", "point", "five", "percent", "off"]
    assert spell_number(1_002_030) == "one million two thousand thirty"
    assert word_error_rate("four queen of clubs", "4 Queen of Clothes") == pytest.approx(1 / 4)


def test_a_decoding_loop_is_cut_to_one_copy() -> None:
    assert without_loop([5, 5, 5, 5, 5, 5]) == [5]
    assert without_loop([9, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]) == [9, 1, 2, 3]
    assert without_loop([7, 5, 5, 8]) == [7, 5, 5, 8]  # twice is speech ("five five"), three times a loop
    assert without_loop([1, 2, 1, 2, 3]) == [1, 2, 1, 2, 3]
