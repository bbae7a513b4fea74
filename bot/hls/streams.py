"""Which live Spaces stream HLS: a segmenter on each public Space's relay hub, from its opening to its end.

A ticketed Space never streams: its audio is for ticket holders only, and an HLS URL is a plain public file
path that any CDN would hand to anyone (signed nginx paths would work, but every CDN signs differently; the
ticket holders' WebRTC keeps working, and when their UDP is blocked the page says so). Ended streams' files are
deleted by a sweep ``linger`` seconds after their playlist last changed, which also clears what a stopped bot
left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bot.audio.rooms import AudioRooms, SpaceAudio
from spaces_core.audio import RelayClosed, RelayHub, Subscription
from spaces_core.audio.hls import HlsSegmenter, sweep
from spaces_core.domain.space import Space

__all__ = ["LOCAL_PATH", "HlsOff", "HlsStreams"]

log = logging.getLogger(__name__)

LOCAL_PATH: Final = "/hls"  # where the bot's own web server serves HLS_DIR when no HLS_BASE_URL is set
LINGER: Final = 300.0  # an ended stream's files stay this long: a player that is behind finishes its last segments
SWEEP_INTERVAL: Final = 60.0
# A segmenter's queue in the hub: 2 s. The worker thread falls that far behind only if the disk stalls; then
# the oldest packets go (the stream skips) rather than the bot's memory.
QUEUE_FRAMES: Final = 100


@dataclass(slots=True)
class _Stream:
    hub: RelayHub
    segmenter: HlsSegmenter
    subscription: Subscription


class HlsStreams:
    def __init__(
        self,
        root: Path,
        *,
        base_url: str,
        ticketed: Callable[[Space], Awaitable[bool]],
        segment_seconds: float = 1.0,
        linger: float = LINGER,
        sweep_interval: float = SWEEP_INTERVAL,
    ) -> None:
        self.root = root
        self.base_url = (base_url or LOCAL_PATH).rstrip("/")
        self.segment_seconds = segment_seconds
        self._ticketed = ticketed
        self._linger, self._sweep_interval = linger, sweep_interval
        self._audio: AudioRooms | None = None
        self._streams: dict[str, _Stream] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # starts and ends under way, awaited by ``stop``
        self._sweeper: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def serves_locally(self) -> bool:
        return self.base_url == LOCAL_PATH

    def watch(self, audio: AudioRooms) -> None:
        self._audio = audio
        audio.watch(self._opened, self._closing)

    async def why_not_broadcast(self, space: Space) -> str | None:
        if await self._ticketed(space):
            return "A ticketed Space's audio stays behind its members' personal links, so it has no public stream."
        return None

    def streaming(self, space_id: str) -> bool:
        return space_id in self._streams

    def playlist_url(self, space_id: str) -> str | None:
        """The live playlist's URL once its first segment is listed (a player given it sooner gets a 404)."""
        stream = self._streams.get(space_id)
        if stream is None or not stream.segmenter.playlist.segments:
            return None
        return f"{self.base_url}/{space_id}/index.m3u8"

    def page_url(self, space_id: str) -> str | None:
        """The page's state beside the playlist (``bot.hls.page_files``), while the Space streams."""
        return f"{self.base_url}/{space_id}/page.json" if space_id in self._streams else None

    async def start(self) -> None:
        self._stopped = False
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_now_and_then(), name="hls sweep")

    async def stop(self) -> None:
        self._stopped = True
        for space_id in list(self._streams):
            self._closing(space_id)
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _opened(self, room: SpaceAudio) -> None:
        if not self._stopped:
            self._spawn(self._begin(room), f"hls start {room.space.id}")

    def _closing(self, space_id: str) -> None:
        stream = self._streams.pop(space_id, None)
        if stream is not None:
            self._spawn(self._end(stream), f"hls end {space_id}")

    async def _begin(self, room: SpaceAudio) -> None:
        space_id = room.space.id
        if await self._ticketed(room.space):
            log.info("Space %s is ticketed: no HLS for it", space_id)
            return
        if self._stopped or self._audio is None or self._audio.get(space_id) is not room:
            return  # it ended while tickets were asked
        segmenter = HlsSegmenter(self.root / space_id, segment_seconds=self.segment_seconds)
        try:
            subscription = room.hub.attach(segmenter, queue_frames=QUEUE_FRAMES)
        except RelayClosed:
            return
        self._streams[space_id] = _Stream(room.hub, segmenter, subscription)

    async def _end(self, stream: _Stream) -> None:
        await stream.hub.detach(stream.subscription)
        await stream.segmenter.close()  # the last segment and EXT-X-ENDLIST: players play to the end and stop

    async def _sweep_now_and_then(self) -> None:
        while True:
            gone = await asyncio.to_thread(sweep, self.root, linger=self._linger)
            if gone:
                log.info("deleted the HLS files of %d ended stream(s)", len(gone))
            await asyncio.sleep(self._sweep_interval)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(_logged(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class HlsOff:
    """No HLS_DIR: nothing streams, so nothing can be broadcast."""

    async def why_not_broadcast(self, space: Space) -> str | None:
        return "This bot has no HLS: its operator turns it on with HLS_DIR (docs/HLS.md)."


async def _logged(work: Coroutine[Any, Any, None], name: str) -> None:
    try:
        await work
    except Exception:
        log.exception("%s failed", name)
