"""The process's one speech-to-text model, loaded once and lazily, off the event loop.

Loaded at the first `/space captions on`, or when a Space whose captions were on gets its audio back after a
restart; never at import or in `build` (a bot whose servers never caption pays nothing). A missing or incomplete
model is found at start-up by `check` (three file checks), logged with the setting that names it, and every
`/space captions on` then says captions are unavailable on this bot and why; the rest of the bot runs on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Final

from spaces_core.captions.transcriber import Caption, ModelMissing, Transcriber, check_model, english_only

__all__ = ["MODEL_SETTING", "CaptionsModel"]

log = logging.getLogger(__name__)
MODEL_SETTING: Final = "CAPTIONS_MODEL_DIR"
_POLL_S: Final = 0.05  # how often a Space's end looks whether its last phrases are through


class CaptionsModel:
    def __init__(self, model_dir: Path | None, *, max_pending: int = 8) -> None:
        self._model_dir, self._max_pending = model_dir, max_pending
        self.transcriber: Transcriber | None = None
        self.on_caption: Callable[[Caption], None] = lambda caption: None
        self._why_off: str | None = None
        self._loading = asyncio.Lock()
        self._english_only: tuple[str | None] | None = None  # worked out once: it reads the model's vocabulary

    def check(self) -> str | None:
        """At start-up: None if the model's files are there, else why not (also logged, naming the setting)."""
        try:
            check_model(self._model_dir)
        except ModelMissing as missing:
            self._why_off = self._unavailable(missing)
            log.error("live captions are off on this bot: %s", self._why_off)
        return self._why_off

    def english_only(self) -> str | None:
        """The model's name and setting when it knows English only (the server's language setting checks it)."""
        if self._english_only is None:
            self._english_only = (self._name_if_english_only(),)
        return self._english_only[0]

    def _name_if_english_only(self) -> str | None:
        try:
            directory = check_model(self._model_dir)
        except ModelMissing:
            return None
        if not english_only(directory):
            return None
        if self._model_dir is None:
            return f"the packaged default ({MODEL_SETTING} unset; point it at a multilingual whisper model)"
        return f"{directory.name} ({MODEL_SETTING}; point it at a multilingual whisper model)"

    async def ready(self) -> str | None:
        """Load the model if it isn't yet (once per process, on a thread); None when captions can run, else why."""
        async with self._loading:
            if self.transcriber is None and self._why_off is None:
                try:
                    self.transcriber = await Transcriber.load(
                        self._deliver, model_dir=self._model_dir, max_pending=self._max_pending
                    )
                    log.info("live captions: model %s loaded", self.transcriber.model_name)
                except ModelMissing as missing:
                    self._why_off = self._unavailable(missing)
                    log.error("live captions are off on this bot: %s", self._why_off)
                except Exception as exc:  # a corrupt model file: the bot runs on without captions
                    log.exception("live captions: the model did not load")
                    self._why_off = f"its speech model did not load ({type(exc).__name__}; see {MODEL_SETTING})"
        return self._why_off

    async def settled(self, key: str) -> None:
        """Returns once every phrase submitted with ``key`` is transcribed, dropped or failed (captions on the loop)."""
        # Polled: the counts change as the worker thread reports each batch; this runs once per Space's end.
        while self.transcriber is not None and self.transcriber.outstanding(key):  # noqa: ASYNC110
            await asyncio.sleep(_POLL_S)

    async def close(self) -> None:
        if self.transcriber is not None:
            await self.transcriber.close()
            self.transcriber = None

    def _deliver(self, caption: Caption) -> None:
        self.on_caption(caption)

    @staticmethod
    def _unavailable(missing: ModelMissing) -> str:
        return f"its speech model is missing: {missing}. Set {MODEL_SETTING} to a CTranslate2 whisper model directory"
