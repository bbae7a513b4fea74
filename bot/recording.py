"""A Space's recording on its mix engine, and the replay files it leaves under RECORDINGS_DIR.

One file per Space (`<space id>.ogg`): recording off detaches the recorder from the engine's taps without
closing the file, so turning it on again continues the same replay; the file is closed when the Space ends or
the bot stops. Opt-outs follow every committed change of the Space, so a voice leaves the file at the next frame.
"""

from __future__ import annotations

import logging
from pathlib import Path

from spaces_core.audio import MixEngine, Recorder
from spaces_core.domain.space import Space

__all__ = ["ReplayFiles", "SpaceRecording"]

log = logging.getLogger(__name__)


class ReplayFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, space_id: str) -> Path:
        if not space_id.isalnum():  # ids are hex; anything else never names a file here
            raise ValueError(f"not a Space id: {space_id!r}")
        return self.directory / f"{space_id}.ogg"

    def existing(self, space_id: str) -> Path | None:
        try:
            path = self.path_of(space_id)
        except ValueError:
            return None
        return path if path.is_file() else None

    def delete(self, space_id: str) -> None:
        self.path_of(space_id).unlink(missing_ok=True)


class SpaceRecording:
    def __init__(self, engine: MixEngine, path: Path) -> None:
        self._engine, self.path = engine, path
        self._recorder: Recorder | None = None
        self._wanted = False
        self._attached = False

    @property
    def active(self) -> bool:
        return self._attached

    async def follow(self, space: Space) -> None:
        """Match the Space as committed: on or off, and who is left out."""
        self.update(space)
        if self._wanted and not self._attached:
            if self._recorder is None:
                recorder = Recorder(self.path, opted_out=space.recording_opt_outs)
                await recorder.start()  # opens the file in a worker thread
                self._recorder = recorder
            if self._wanted and not self._attached:  # it may have been turned off while the file opened
                self._engine.add_tap(self._recorder)
                self._attached = True

    def update(self, space: Space) -> None:
        """The part that needs no I/O: called before any Discord call, so an opt-out counts from the next frame."""
        self._wanted = space.recording and space.is_live
        if self._recorder is not None:
            self._recorder.set_opted_out(space.recording_opt_outs)
        if not self._wanted and self._attached and self._recorder is not None:
            self._engine.remove_tap(self._recorder)
            self._attached = False

    async def close(self) -> None:
        self._wanted = False
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        if self._attached:
            self._engine.remove_tap(recorder)
            self._attached = False
        await recorder.stop()
        log.info("recording of %s closed: %d frames", self.path.name, recorder.frames_written)
