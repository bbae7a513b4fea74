"""The packaged whisper model transcribes real speech through the whole pipeline, off the event loop.

Speech from espeak-ng (sandbox/speech.py), fed as 48 kHz stereo frames like the mixer's per-speaker frames; four
speakers share one transcriber. The WER bound is loose: tiny.en mishears espeak's robot voice now and then.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import numpy as np
import pytest

from sandbox.speech import speech
from spaces_core.audio.format import FRAME_SAMPLES, FRAME_SECONDS
from spaces_core.captions.accuracy import word_error_rate
from spaces_core.captions.models import tiny_model_dir
from spaces_core.captions.phrases import PhraseCutter, Utterance
from spaces_core.captions.transcriber import (
    Caption,
    ModelMissing,
    Transcriber,
    english_only,
    packaged_model_dir,
)
from tests.missing import CAPTIONS_MODEL, ESPEAK

try:
    packaged_model_dir()
except ModelMissing:
    pytest.skip(CAPTIONS_MODEL, allow_module_level=True)
if shutil.which("espeak-ng") is None:
    pytest.skip(ESPEAK, allow_module_level=True)

SENTENCES = {
    1: "Please call Stella and ask her to bring these things with her from the store.",
    2: "We will meet again next week to talk about the new garden.",
    3: "Thank you all for coming to the show tonight.",
    4: "The quick brown fox jumps over the lazy dog.",
}


def phrases_of(speaker: int, text: str) -> list[Utterance]:
    """``text`` spoken after 200 ms of silence and followed by 500 ms, cut as the bot would cut it."""
    mono = np.concatenate([np.zeros(9600, np.float32), speech(text), np.zeros(24000, np.float32)])
    cutter = PhraseCutter(speaker)
    out: list[Utterance] = []
    for index in range(len(mono) // FRAME_SAMPLES):
        frame = mono[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES]
        out.extend(cutter.push(np.stack([frame, frame], axis=1), index * FRAME_SECONDS))
    return out + cutter.flush()


async def collect(count: int, captions: asyncio.Queue[Caption]) -> list[Caption]:
    return [await asyncio.wait_for(captions.get(), timeout=60) for _ in range(count)]


async def test_the_packaged_model_captions_four_speakers_by_name() -> None:
    captions: asyncio.Queue[Caption] = asyncio.Queue()
    transcriber = Transcriber(captions.put_nowait)
    try:
        phrases = [phrase for speaker, text in SENTENCES.items() for phrase in phrases_of(speaker, text)]
        assert sorted({p.speaker_id for p in phrases}) == [1, 2, 3, 4]
        for phrase in phrases:
            transcriber.submit(phrase, "en")
        heard = await collect(len(phrases), captions)
    finally:
        await transcriber.close()
    assert transcriber.dropped == 0
    by_speaker = {speaker: " ".join(c.text for c in heard if c.speaker_id == speaker) for speaker in SENTENCES}
    reference = " ".join(SENTENCES.values())
    assert word_error_rate(reference, " ".join(by_speaker.values())) <= 0.25, by_speaker
    assert word_error_rate(SENTENCES[2], by_speaker[2]) <= 0.25, by_speaker  # and each is under its own name
    assert all(c.start < c.end for c in heard)


async def test_the_event_loop_keeps_its_20_ms_ticks_while_a_phrase_is_transcribed() -> None:
    captions: asyncio.Queue[Caption] = asyncio.Queue()
    transcriber = Transcriber(captions.put_nowait)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        [phrase] = phrases_of(1, SENTENCES[1])
        await asyncio.sleep(0)  # the ticker is running before the phrase is handed over
        transcriber.submit(phrase, "en")
        before = ticks
        [caption] = await collect(1, captions)
        during = ticks - before
    finally:
        task.cancel()
        await transcriber.close()
    assert "stella" in caption.text.lower()
    # Decoding several seconds of speech takes hundreds of milliseconds of CPU: had it run on the loop, the ticker
    # could not have run at all until the caption was delivered.
    assert during >= 5, during


async def test_spaces_sharing_the_transcriber_get_their_captions_back_by_key_loaded_off_the_loop() -> None:
    captions: asyncio.Queue[Caption] = asyncio.Queue()
    transcriber = await Transcriber.load(captions.put_nowait, max_pending=1)
    try:
        first, second = phrases_of(1, SENTENCES[3]) + phrases_of(2, SENTENCES[4])
        transcriber.submit(first, "en", key="space-a")
        # The queue holds one: this phrase waits (or, if the first is taken already, is decoded next).
        assert transcriber.submit(second, "en", key="space-b") in (None, "space-a")
        assert transcriber.outstanding("space-b") == 1
        while transcriber.outstanding("space-a") or transcriber.outstanding("space-b"):
            await asyncio.sleep(0.02)
        heard = [captions.get_nowait() for _ in range(captions.qsize())]
    finally:
        await transcriber.close()
    assert {c.key: c.speaker_id for c in heard}.get("space-b") == 2
    assert all(c.key == {1: "space-a", 2: "space-b"}[c.speaker_id] for c in heard)


def test_the_packaged_base_model_is_multilingual_and_tiny_en_is_english_only() -> None:
    assert not english_only(packaged_model_dir())
    assert english_only(tiny_model_dir())


async def test_a_missing_model_directory_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match=str(tmp_path)):
        Transcriber(lambda caption: None, model_dir=tmp_path)


def test_word_error_rate_ignores_case_and_punctuation() -> None:
    assert word_error_rate("Hello, World!", "hello world") == 0.0
    assert word_error_rate("the cat sat", "the cat sat down") == pytest.approx(1 / 3)
    assert word_error_rate("the cat sat", "a cat") == pytest.approx(2 / 3)
    assert word_error_rate("", "") == 0.0
