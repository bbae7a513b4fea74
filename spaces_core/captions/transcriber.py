"""One whisper model per process (whisper.py), shared by every Space, run on one worker thread off the event loop.

The 20 ms mixer never waits: `submit` only appends to a bounded queue. When the queue is full the OLDEST pending
phrase is dropped and counted, so captions catch up rather than trail minutes behind. CTranslate2 releases the GIL
while it decodes, and its threads run below the loop's priority, so the loop keeps its ticks while phrases are
transcribed. The phrases waiting when the worker is free go to whisper in one batch.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Generic, TypeVar

from spaces_core.captions.models import PACKAGED_MODEL_NAME, ModelMissing, packaged_model_dir
from spaces_core.captions.phrases import Utterance
from spaces_core.captions.whisper import MIN_WINDOW_S, ShortWindowWhisper

__all__ = ["Caption", "DropOldestQueue", "ModelMissing", "Transcriber", "packaged_model_dir"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_MODEL_FILES: Final = ("model.bin", "config.json", "tokenizer.json")


@dataclass(frozen=True, slots=True)
class Caption:
    speaker_id: int
    start: float
    end: float
    text: str
    latency_s: float  # from submit to the caption: queue wait plus decoding


def _check(model_dir: Path) -> None:
    missing = [name for name in _MODEL_FILES if not (model_dir / name).is_file()]
    if missing:
        raise ModelMissing(f"no CTranslate2 whisper model in {model_dir} (missing {', '.join(missing)})")


class DropOldestQueue(Generic[T]):
    """A bounded FIFO shared by the loop (put) and the worker (get): when full, put drops the oldest and counts it."""

    def __init__(self, limit: int) -> None:
        self._items: collections.deque[T] = collections.deque()
        self._limit = limit
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
        with self._ready:
            if self._closed:
                return
            if len(self._items) >= self._limit:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._ready.notify()

    def take_while(self, fits: Callable[[T], bool]) -> list[T]:
        """Without waiting: the oldest items, in order, as long as ``fits`` accepts each."""
        taken: list[T] = []
        with self._ready:
            while self._items and fits(self._items[0]):
                taken.append(self._items.popleft())
        return taken

    def get(self) -> T | None:
        """The oldest item, waiting for one; None once closed."""
        with self._ready:
            while not self._items and not self._closed:
                self._ready.wait()
            return None if self._closed else self._items.popleft()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._items.clear()
            self._ready.notify_all()


@dataclass(slots=True)
class _Job:
    phrase: Utterance
    language: str
    submitted: float


class Transcriber:
    """``submit(phrase, language)`` from the loop; ``on_caption`` is called on that loop with each result.

    ``language`` is the server's setting, never detected. Build it on the event loop (it captures the running one).
    """

    def __init__(
        self,
        on_caption: Callable[[Caption], None],
        *,
        model_dir: Path | None = None,
        max_pending: int = 8,
        cpu_threads: int = 1,
        window_s: float = MIN_WINDOW_S,
    ) -> None:
        directory = model_dir if model_dir is not None else packaged_model_dir()
        _check(directory)
        self.model_name = directory.name if model_dir is not None else PACKAGED_MODEL_NAME
        self._model = ShortWindowWhisper(directory, cpu_threads=cpu_threads, window_s=window_s)
        self._on_caption = on_caption
        self._loop = asyncio.get_running_loop()
        self._queue: DropOldestQueue[_Job] = DropOldestQueue(max_pending)
        self._closed = False
        self.transcribed = 0
        self._worker = threading.Thread(target=self._run, name="captions-transcriber", daemon=True)
        self._worker.start()

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def dropped(self) -> int:
        """Phrases dropped unheard because captions fell behind (the card's "captions delayed")."""
        return self._queue.dropped

    def submit(self, phrase: Utterance, language: str) -> None:
        """Never blocks: a full queue loses its oldest phrase instead."""
        self._queue.put(_Job(phrase, language, time.monotonic()))

    async def close(self) -> None:
        """Stops the worker after the phrase it is decoding; pending phrases are discarded."""
        self._closed = True
        self._queue.close()
        await asyncio.to_thread(self._worker.join)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            # Phrases waiting in the same language go in one batch: one call costs less than several.
            batch = [job, *self._queue.take_while(lambda waiting: waiting.language == job.language)]
            try:
                texts = self._model.transcribe([done.phrase.samples for done in batch], job.language)
            except Exception:  # one bad phrase must not end captions for every Space
                log.exception("captions: transcribing %d phrase(s) failed", len(batch))
                texts = []
            now = time.monotonic()
            for done, text in zip(batch, texts, strict=False):
                if text:
                    phrase = done.phrase
                    caption = Caption(phrase.speaker_id, phrase.start, phrase.end, text, now - done.submitted)
                    self._loop.call_soon_threadsafe(self._deliver, caption)
            # After the deliveries are queued: a reader of the count finds their captions on the loop.
            self.transcribed += len(batch)

    def _deliver(self, caption: Caption) -> None:
        if not self._closed:
            self._on_caption(caption)
