"""A Space's recording on its mix engine, and the replay files it leaves under RECORDINGS_DIR.

While a Space is live its recording is written in parts, ``<space id>-part<n>.ogg``: one per time this bot process
starts recording it, so a restart in the middle of a Space adds a part instead of overwriting what was recorded
before. Recording off only detaches the recorder from the engine's taps, so turning it on again continues the
same part. When the Space ends the parts are remuxed into the replay, ``<space id>.ogg`` (one file a member can
download and seek in), and removed. The bot stopping closes the current part without joining: the Space is
still live and the next start adds a part. Opt-outs follow every committed change of the Space, so a voice
leaves the file at the next frame.

Replays are kept RECORDINGS_RETENTION_DAYS after their Space ended: ``ReplayRetention`` sweeps older ones away
(the file and the record of it, and with the record the Space's transcript), and ``delete_replays_hosted_by``
serves `/privacy delete`. Transcripts of Spaces that were never recorded are kept just as long: the same sweep
deletes every transcript of a Space that ended longer ago than the retention.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spaces_core.audio import MixEngine, Recorder
from spaces_core.audio.recorder import join_parts
from spaces_core.clock import SystemClock
from spaces_core.domain import recording
from spaces_core.domain.errors import NotFound, SpacesError
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space, SpaceState
from spaces_core.ports import Clock
from spaces_core.services.spaces import SpaceService

__all__ = ["OpenParts", "ReplayFiles", "ReplayRetention", "SpaceRecording", "delete_replays_hosted_by"]

log = logging.getLogger(__name__)
_NAME = re.compile(r"(?P<id>[0-9A-Za-z]+)(?:-part(?P<part>\d+))?\.ogg")


class OpenParts:
    """The Spaces with a part open in this process, and a wait for one to close.

    An end closes its last part and then joins the parts, which takes a moment; a member asking for the replay in
    that moment waits for it (`closed`) rather than hear that there is none."""

    def __init__(self) -> None:
        self._open: dict[str, asyncio.Event] = {}

    def __contains__(self, space_id: object) -> bool:
        return space_id in self._open

    def add(self, space_id: str) -> None:
        self._open.setdefault(space_id, asyncio.Event())

    def discard(self, space_id: str) -> None:
        closed = self._open.pop(space_id, None)
        if closed is not None:
            closed.set()

    async def closed(self, space_id: str, within: float) -> bool:
        """Waits up to ``within`` seconds for the Space's open part to close; False if it is still open."""
        closing = self._open.get(space_id)
        if closing is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await closing.wait()
        return space_id not in self._open


class ReplayFiles:
    """The files of recorded Spaces in one directory: parts while live, the replay after the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._joining = asyncio.Lock()  # joins are rare: one at a time keeps the end and the sweep apart
        self.writing = OpenParts()  # Spaces with a part open in this process: not to be joined or swept

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

    def parts(self, space_id: str) -> list[Path]:
        """The Space's parts in recording order."""
        return [path for _, path in self._numbered(space_id)]

    def next_part(self, space_id: str) -> Path:
        """Where a new part of this live Space goes. A replay file already there was written whole by a bot from
        before parts (a restart that upgraded the bot mid-Space): it becomes part 0, so it is joined, not lost."""
        numbered = self._numbered(space_id)
        replay = self.path_of(space_id)
        if not numbered and replay.is_file():
            replay.rename(self._part(space_id, 0))
            numbered = [(0, self._part(space_id, 0))]
        return self._part(space_id, numbered[-1][0] + 1 if numbered else 1)

    def space_ids(self) -> set[str]:
        """Every Space with a file here: parts, a replay, or both."""
        return {m["id"] for _, m in self._named()}

    def files_of(self, space_id: str) -> list[Path]:
        return [path for path, m in self._named() if m["id"] == space_id]

    def delete(self, space_id: str) -> None:
        self.path_of(space_id)  # refuses anything that is not an id before touching the disk
        for path in self.files_of(space_id):
            path.unlink(missing_ok=True)

    async def remove(self, space_id: str) -> None:
        """`delete`, after any join under way (which would otherwise put the replay back)."""
        async with self._joining:
            self.delete(space_id)

    async def finish(self, space_id: str) -> Path | None:
        """Join the Space's parts into its replay and remove them; the replay, or None if nothing was recorded.

        Idempotent and safe to call from the end of the Space and from the sweep at once (one lock). Written
        beside the replay and renamed into place, so a player never reads a half-joined file and a crash midway
        leaves the parts as they were; parts found beside a finished replay are the leftovers of a crash after
        that rename (they are in the replay already) and are only removed.
        """
        async with self._joining:
            parts = self.parts(space_id)
            replay = self.path_of(space_id)
            if len(parts) == 1 and not replay.is_file():
                os.replace(parts[0], replay)  # nothing to join: the one part is the replay
            elif parts and not replay.is_file():
                joining = replay.with_name(f".{space_id}.joining.ogg")
                packets = await asyncio.to_thread(join_parts, parts, joining)
                if packets:
                    os.replace(joining, replay)
                log.info("replay of %s joined from %d parts: %d packets", space_id, len(parts), packets)
            for part in parts:
                part.unlink(missing_ok=True)
            return replay if replay.is_file() else None

    def _part(self, space_id: str, number: int) -> Path:
        return self.path_of(space_id).with_name(f"{space_id}-part{number}.ogg")

    def _numbered(self, space_id: str) -> list[tuple[int, Path]]:
        return sorted((int(m["part"]), path) for path, m in self._named() if m["id"] == space_id and m["part"])

    def _named(self) -> Iterator[tuple[Path, re.Match[str]]]:
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            match = _NAME.fullmatch(path.name)
            if match is not None and path.is_file():
                yield path, match


class SpaceRecording:
    def __init__(self, engine: MixEngine, files: ReplayFiles, space_id: str) -> None:
        self._engine, self._files, self._space_id = engine, files, space_id
        self._recorder: Recorder | None = None
        self._wanted = False
        self._attached = False
        self._ended = False
        self._opening = asyncio.Lock()  # a part is opened and closed by one caller at a time

    @property
    def active(self) -> bool:
        return self._attached

    async def follow(self, space: Space) -> None:
        """Match the Space as committed: on or off, and who is left out."""
        self.update(space)
        async with self._opening:
            if self._wanted and self._recorder is None:
                recorder = Recorder(self._files.next_part(self._space_id), opted_out=space.recording_opt_outs)
                self._files.writing.add(self._space_id)
                try:
                    await recorder.start()  # opens the file in a worker thread
                except BaseException:
                    self._files.writing.discard(self._space_id)
                    raise
                self._recorder = recorder
            if self._wanted and not self._attached and self._recorder is not None:
                # Checked again after the await: it may have been turned off while the file opened.
                self._engine.add_tap(self._recorder)
                self._attached = True

    def update(self, space: Space) -> None:
        """The part that needs no I/O: called before any Discord call, so an opt-out counts from the next frame."""
        self._wanted = space.recording and space.is_live
        self._ended = space.state == SpaceState.ENDED
        if self._recorder is not None:
            self._recorder.set_opted_out(space.recording_opt_outs)
        if not self._wanted and self._attached and self._recorder is not None:
            self._engine.remove_tap(self._recorder)
            self._attached = False

    async def close(self) -> None:
        """Close the current part; once the Space has ended, join its parts into the replay."""
        self._wanted = False
        async with self._opening:
            recorder, self._recorder = self._recorder, None
            if recorder is not None:
                if self._attached:
                    self._engine.remove_tap(recorder)
                    self._attached = False
                try:
                    await recorder.stop()
                finally:
                    self._files.writing.discard(self._space_id)
                log.info("recording part %s closed: %d frames", recorder.path.name, recorder.frames_written)
        if self._ended:
            await self._files.finish(self._space_id)


async def _space_or_none(spaces: SpaceService, space_id: str) -> Space | None:
    try:
        return await spaces.get(space_id)
    except NotFound:
        return None


async def delete_replays_hosted_by(spaces: SpaceService, files: ReplayFiles | None, user_id: int) -> int:
    """`/privacy delete`: the replays of the ended Spaces this member hosted (opened, or held at the end)."""
    deleted = 0
    if files is None:  # a bot that records nothing
        return deleted
    for space_id in sorted(files.space_ids()):
        space = await _space_or_none(spaces, space_id)
        if space is None or space.is_live or space_id in files.writing:
            continue
        if not recording.may_delete_replay(space, user_id):
            continue
        if recording.has_replay(space):
            await spaces.delete_replay(space_id, Actor(user_id))
            deleted += 1
        await files.remove(space_id)
    return deleted


class ReplayRetention:
    """Deletes replays `keep` after their Space ended: the files, and the Space's record of having a replay.

    The sweep looks at what is on disk (a Space with no file has nothing to delete but a flag) and, on the way,
    joins the parts of Spaces that ended while no recorder of this process was open on them (a restart at the
    wrong moment), removes what a deletion left behind, and drops files no Space in the database owns once they
    are as old as the retention. It runs at every start and then every `interval` (a quarter of the retention,
    between a second and an hour), as a task this object owns.
    """

    def __init__(
        self,
        spaces: SpaceService,
        files: ReplayFiles,
        keep: timedelta,
        *,
        clock: Clock | None = None,
        expire_transcripts: Callable[[datetime], Awaitable[int]] | None = None,
    ) -> None:
        self._spaces, self._files, self.keep = spaces, files, keep
        self._expire_transcripts = expire_transcripts  # given the cutoff: Spaces that ended before it lose theirs
        self._clock = clock or SystemClock()
        self.interval = min(max(keep.total_seconds() / 4, 1.0), 3600.0)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="replay retention")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("replay retention sweep failed; retrying in %.0f s", self.interval)
            await asyncio.sleep(self.interval)

    async def sweep(self) -> list[str]:
        """One pass; the ids of the Spaces whose replay it deleted for being older than the retention."""
        now, expired = self._clock.now(), []
        for space_id in sorted(self._files.space_ids()):
            space = await _space_or_none(self._spaces, space_id)
            try:
                if space is None:
                    self._drop_orphan(space_id, now)
                elif space.is_live or space_id in self._files.writing:
                    continue  # its parts are being written (or closed at this very moment)
                elif not recording.has_replay(space):
                    await self._files.remove(space_id)  # deleted, but the files outlived the deletion
                elif recording.replay_expired(space, now, self.keep):
                    # Deleted as its host would (the domain's own rule for who may), so the record and the
                    # event are the ones a host's deletion leaves.
                    await self._spaces.delete_replay(space_id, Actor(space.host_id))
                    await self._files.remove(space_id)
                    expired.append(space_id)
                elif self._files.parts(space_id):
                    await self._files.finish(space_id)
            except (SpacesError, OSError) as exc:
                log.warning("replay of %s not swept this time: %s", space_id, exc)
        if expired:
            log.info("retention: %d replays older than %s deleted", len(expired), self.keep)
        if self._expire_transcripts is not None:
            phrases = await self._expire_transcripts(now - self.keep)
            if phrases:
                log.info("retention: %d transcript phrases older than %s deleted", phrases, self.keep)
        return expired

    def _drop_orphan(self, space_id: str, now: datetime) -> None:
        for path in self._files.files_of(space_id):
            if now - datetime.fromtimestamp(path.stat().st_mtime, UTC) >= self.keep:
                path.unlink(missing_ok=True)
