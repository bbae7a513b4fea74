"""One faster-whisper model per process, shared by every Space, run on one worker thread off the event loop.

The 20 ms mixer never waits: `submit` only appends to a bounded queue. When the queue is full the OLDEST pending
phrase is dropped and counted, so captions catch up rather than trail minutes behind. CTranslate2 releases the GIL
while it decodes, and its threads run below the loop's priority, so the loop keeps its ticks while phrases are
transcribed. The phrases waiting when the worker is free go to whisper in one batch (`whisper.py`).

Many Spaces share the one transcriber: each phrase is submitted with a key (the bot gives its Space id) that comes
back on its caption, and `outstanding(key)` counts the key's phrases not yet settled (transcribed, failed or
dropped), so a Space that ends can wait for its last words. The counts live on the event loop: the worker reports
each settled batch there, after its captions.
"""

from __future__ import annotations

import asyncio
import collections
import json
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

__all__ = [
    "Caption",
    "DropOldestQueue",
    "ModelMissing",
    "Transcriber",
    "check_model",
    "english_only",
    "packaged_model_dir",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

_MODEL_FILES: Final = ("model.bin", "config.json", "tokenizer.json")
_ENGLISH_ONLY_VOCABULARY: Final = 51_864  # whisper's .en models; the multilingual ones have 51,865 or more tokens


@dataclass(frozen=True, slots=True)
class Caption:
    speaker_id: int
    start: float
    end: float
    text: str
    latency_s: float  # from submit to the caption: queue wait plus decoding
    key: str = ""  # what the phrase was submitted with (the bot: its Space's id)


def check_model(model_dir: Path | None) -> Path:
    """The model directory (None: the packaged one) if it holds a CTranslate2 whisper model, else ModelMissing
    naming the directory and the missing files. Stats three files: cheap enough to call at start-up."""
    directory = model_dir if model_dir is not None else packaged_model_dir()
    missing = [name for name in _MODEL_FILES if not (directory / name).is_file()]
    if missing:
        raise ModelMissing(f"no CTranslate2 whisper model in {directory} (missing {', '.join(missing)})")
    return directory


def english_only(model_dir: Path) -> bool:
    """Whether the model knows English only (tiny.en, base.en...), told by its vocabulary's size without loading
    it (CTranslate2 writes it as `vocabulary.txt` or `vocabulary.json`); without either, by its directory's name."""
    listed = model_dir / "vocabulary.txt"
    if listed.is_file():
        with listed.open(encoding="utf-8") as lines:
            return sum(1 for line in lines if line.strip()) <= _ENGLISH_ONLY_VOCABULARY
    as_json = model_dir / "vocabulary.json"
    if as_json.is_file():
        return len(json.loads(as_json.read_text(encoding="utf-8"))) <= _ENGLISH_ONLY_VOCABULARY
    return model_dir.name.endswith(".en")


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

    def put(self, item: T) -> T | None:
        """The item dropped to make room (the oldest), if any; a closed queue drops the new one."""
        with self._ready:
            if self._closed:
                return item
            dropped = None
            if len(self._items) >= self._limit:
                dropped = self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._ready.notify()
            return dropped

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
    key: str


class Transcriber:
    """``submit(phrase, language)`` from the loop; ``on_caption`` is called on that loop with each result.

    ``language`` is the server's setting, never detected. Build it on the event loop (it captures the running one),
    or anywhere with ``loop`` given; `load` builds it on a thread, so loading the model never stalls the loop.
    """

    def __init__(
        self,
        on_caption: Callable[[Caption], None],
        *,
        model_dir: Path | None = None,
        max_pending: int = 8,
        cpu_threads: int = 1,
        loop: asyncio.AbstractEventLoop | None = None,
        window_s: float = MIN_WINDOW_S,
    ) -> None:
        directory = check_model(model_dir)
        self.model_name = directory.name if model_dir is not None else PACKAGED_MODEL_NAME
        self._model = ShortWindowWhisper(directory, cpu_threads=cpu_threads, window_s=window_s)
        self._on_caption = on_caption
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._queue: DropOldestQueue[_Job] = DropOldestQueue(max_pending)
        self.max_pending = max_pending
        self._closed = False
        self._outstanding: collections.Counter[str] = collections.Counter()  # read and written on the loop only
        self.transcribed = 0
        self._worker = threading.Thread(target=self._run, name="captions-transcriber", daemon=True)
        self._worker.start()

    @classmethod
    async def load(
        cls, on_caption: Callable[[Caption], None], *, model_dir: Path | None = None, max_pending: int = 8
    ) -> Transcriber:
        """Built on a worker thread: reading the model takes a second or more, which the mixer must not wait."""
        loop = asyncio.get_running_loop()
        return await asyncio.to_thread(cls, on_caption, model_dir=model_dir, max_pending=max_pending, loop=loop)

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def dropped(self) -> int:
        """Phrases dropped unheard because captions fell behind (the card's "captions delayed")."""
        return self._queue.dropped

    def submit(self, phrase: Utterance, language: str, key: str = "") -> str | None:
        """Never blocks: a full queue loses its oldest phrase instead; the key of the phrase dropped, if one was.
        Call it on the loop the transcriber was built for."""
        self._outstanding[key] += 1
        dropped = self._queue.put(_Job(phrase, language, time.monotonic(), key))
        if dropped is None:
            return None
        self._settle([dropped.key])
        return dropped.key

    def outstanding(self, key: str) -> int:
        """The key's phrases submitted and not yet settled: waiting, being decoded, or their captions on their way."""
        return self._outstanding[key]

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
                    latency = now - done.submitted
                    caption = Caption(phrase.speaker_id, phrase.start, phrase.end, text, latency, done.key)
                    self._loop.call_soon_threadsafe(self._deliver, caption)
            self._loop.call_soon_threadsafe(self._settle, [done.key for done in batch])
            # After the deliveries are queued: a reader of the count finds their captions on the loop.
            self.transcribed += len(batch)

    def _settle(self, keys: list[str]) -> None:
        for key in keys:
            self._outstanding[key] -= 1
            if self._outstanding[key] <= 0:
                del self._outstanding[key]

    def _deliver(self, caption: Caption) -> None:
        if not self._closed:
            self._on_caption(caption)
