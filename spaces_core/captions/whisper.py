"""Whisper on CTranslate2 with a 10 s window instead of 30 s, and the phrases that wait in one batch.

faster-whisper's ``transcribe`` pads every call to whisper's 30 s window, so one 2 s phrase costs the encoder as
much as 30 s of speech. CTranslate2's whisper encoder accepts a shorter mel input (fewer positions), so a phrase
is padded with silence to MIN_WINDOW_S only (or its own length plus PAD_S when longer): the encoder does a third
of the work. Measured (docs/BENCHMARKS.md): base with 10 s windows costs less CPU than tiny.en with 30 s ones, at
base's WER. Phrases that wait together (speakers ending at once) go to the model as one batch.

faster-whisper still gives the model, its mel features and its tokenizer; only the call is ours.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from spaces_core.captions.phrases import RATE, Mono16

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

__all__ = ["MIN_WINDOW_S", "PAD_S", "ShortWindowWhisper", "without_loop"]

PAD_S: Final = 1.0  # silence after the longest phrase of a batch: whisper ends its last word better with some
# Shorter windows looped: on a 1-3 s phrase in a 2-6 s window whisper repeats the phrase until its token limit
# (base and tiny.en, LibriVox and card names); at 10 s none looped, and base's WER on LibriVox equals its 30 s one.
MIN_WINDOW_S: Final = 10.0
_WINDOW_S: Final = 30.0  # whisper's own window: a longer phrase (never cut that long by PhraseCutter) is trimmed
_NICE: Final = 10  # whisper's threads yield the CPU to the event loop's (the mixer's) when both want it
_LOOP_REPEATS: Final = 3  # the same tokens three times in a row: whisper looping, not speech
_TOKENS_PER_S: Final = 12  # a decoding limit far above speech (~4 tokens a second): a stuck loop ends there
_TOKENS_MIN: Final = 24


class ShortWindowWhisper:
    """One CTranslate2 whisper model (int8 on the CPU); ``transcribe`` runs a batch of phrases in one call."""

    def __init__(self, directory: Path, *, cpu_threads: int = 1, window_s: float = MIN_WINDOW_S) -> None:
        """A batch's window is its longest phrase plus PAD_S, at least ``window_s``; 30.0 gives whisper's own window
        to every call, as faster-whisper does (the benchmark compares the two)."""
        self._window_s = window_s
        self._whisper = _load_at_low_priority(directory, cpu_threads)

    def transcribe(self, phrases: Sequence[Mono16], language: str) -> list[str]:
        """Each phrase's text, in order. Greedy, no previous text, the language given (never detected)."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer

        model = self._whisper.model
        tokenizer = Tokenizer(self._whisper.hf_tokenizer, model.is_multilingual, task="transcribe", language=language)
        speech_s = max(len(p) for p in phrases) / RATE
        window_s = min(max(speech_s + PAD_S, self._window_s), _WINDOW_S)
        features = np.stack([self._features(p, window_s) for p in phrases])
        prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        results = model.generate(
            ctranslate2.StorageView.from_array(features),
            [prompt] * len(phrases),
            beam_size=1,
            max_length=len(prompt) + max(_TOKENS_MIN, round(_TOKENS_PER_S * speech_s)),
            suppress_blank=True,
        )
        texts = [without_loop([t for t in result.sequences_ids[0] if t < tokenizer.eot]) for result in results]
        return [tokenizer.decode(tokens).strip() for tokens in texts]

    def _features(self, samples: Mono16, seconds: float) -> npt.NDArray[np.float32]:
        """The log-mel of the phrase padded with silence to ``seconds``: an even number of frames (the encoder's
        first convolution halves them)."""
        length = round(seconds * RATE)
        audio = np.zeros(length, dtype=np.float32)
        audio[: min(len(samples), length)] = samples[:length].astype(np.float32) / 32768.0
        mel = self._whisper.feature_extractor(audio, padding=0)
        frames = length // 160 // 2 * 2
        return np.ascontiguousarray(mel[:, :frames], dtype=np.float32)


def _load_at_low_priority(directory: Path, cpu_threads: int) -> WhisperModel:
    """The model, loaded on a short-lived thread at nice +_NICE (Linux sets it per thread).

    CTranslate2 decodes on threads of its own, created with the model, which inherit their creator's nice value
    (checked in /proc: the decoding thread runs at nice 10, the caller at 0). When the cores are busy, the event
    loop's thread (the 20 ms mixer) then runs before whisper's. The Transcriber's worker thread itself stays at the
    loop's priority: it takes the GIL (mel features, tokens), and a low-priority thread preempted while holding the
    GIL would stall the loop. docs/BENCHMARKS.md has the late ticks measured with and without.
    """
    from faster_whisper import WhisperModel  # heavy import, paid only when captions are used

    loaded: list[WhisperModel] = []
    failed: list[BaseException] = []

    def load() -> None:
        try:
            if sys.platform == "linux":  # elsewhere setpriority would renice the whole process, the loop too
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICE)
            loaded.append(WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=cpu_threads))
        except BaseException as error:  # re-raised on the caller's thread
            failed.append(error)

    _one_blas_thread()
    loader = threading.Thread(target=load, name="captions-model-load")
    loader.start()
    loader.join()
    if failed:
        raise failed[0]
    return loaded[0]


def _one_blas_thread() -> None:
    """numpy's OpenBLAS to one thread, process-wide.

    The mel features' one matrix product woke OpenBLAS's second thread, created at numpy's import at the loop's
    priority, which then spins for a while after each product: 45 of 337 CPU ticks of transcribing (measured in
    /proc per thread), on the core the loop needs, for a product that takes 0.3 ms on one thread.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def without_loop(tokens: list[int]) -> list[int]:
    """The tokens up to the end of the first block whisper repeats _LOOP_REPEATS times in a row ("5 5 5 5 ...",
    "Ten of clubs Ten of clubs Ten of clubs"): one copy is kept, what follows is the loop.

    A block of ``period`` tokens at ``start`` repeats that often when token i equals token i + period for every i
    of the (_LOOP_REPEATS - 1) × period positions from ``start``: one pass per period finds its earliest run.
    """
    cut = len(tokens)
    for period in range(1, len(tokens) // _LOOP_REPEATS + 1):
        run = 0
        for i in range(len(tokens) - period):
            run = run + 1 if tokens[i] == tokens[i + period] else 0
            if run == (_LOOP_REPEATS - 1) * period:
                cut = min(cut, i - run + 1 + period)
                break
    return tokens[:cut]
