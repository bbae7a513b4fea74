"""The live audio of each Space: the bot's receiver feeding the mix engine, the relay hub and web listeners.

One ``SpaceAudio`` per live Space: receive → per-speaker jitter/decode → mix of the allowed members → one Opus
encode per 20 ms → relay hub → web listeners (and later the recorder and captions). ``AudioRooms`` owns them:
opened when a Space goes live, told of every committed change of the Space (``update``) so the allowed set
follows the roles at once, and closed when it ends or the bot stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.audio.replays import ReplayFiles, SpaceRecording
from bot.audio.voice_receive import VoiceReceiver
from bot.audio.workers import MAIN
from spaces_core.audio import MixedFrame, MixEngine, RelayHub
from spaces_core.domain.space import Space
from spaces_core.webrtc import ListenerHeap, WebListeners

__all__ = ["AudioRooms", "SpaceAudio", "allowed_speakers"]

log = logging.getLogger(__name__)


def allowed_speakers(space: Space) -> frozenset[int]:
    """Who is mixed: the host, the co-hosts and the speakers, less anyone muted by the host."""
    return frozenset([space.host_id, *space.cohosts, *space.speakers]) - frozenset(space.muted)


class SpaceAudio:
    def __init__(
        self,
        space: Space,
        *,
        web_host: str,
        max_listeners: int = 1000,
        heap: ListenerHeap | None = None,
        connection: int = MAIN,
    ) -> None:
        self.space = space
        self.connection = connection  # whose voice connection receives it: MAIN (the bot's) or a worker's user id
        self.hub = RelayHub()
        self.engine = MixEngine(self.hub, on_frame=self._on_frame)
        self.listeners = WebListeners(self.hub, host=web_host, max_listeners=max_listeners, heap=heap)
        self.receiver = VoiceReceiver(asyncio.get_running_loop(), self.engine.push)
        self.speaking: frozenset[int] = frozenset()
        # 20 ms frames in which each speaker was audible, since the room opened (host analytics' talk time).
        self.talk_frames: dict[int, int] = {}
        self.recording: SpaceRecording | None = None  # set by AudioRooms when RECORDINGS_DIR is known
        # Listeners served elsewhere (Janus edges: bot/bootstrap/janus.py sets it), counted with the bot's own.
        self.edge_listeners: Callable[[], int] = lambda: 0
        self.edge_peak: Callable[[], int] = lambda: 0
        self.engine.set_allowed(allowed_speakers(space))

    @property
    def web_listeners(self) -> int:
        """Web listeners now: the bot's own and those on Janus edges."""
        return self.listeners.count + self.edge_listeners()

    @property
    def web_peak(self) -> int:
        """The most web listeners at once: the bot's own peak plus the edges' (exact while one of the two serves
        them all, as it does unless every edge was down for a while)."""
        return self.listeners.peak + self.edge_peak()

    def update(self, space: Space) -> None:
        self.space = space
        self.engine.set_allowed(allowed_speakers(space))
        if self.recording is not None:
            self.recording.update(space)

    def _on_frame(self, mixed: MixedFrame) -> None:
        speaking = mixed.speaking()
        for speaker in speaking:
            self.talk_frames[speaker] = self.talk_frames.get(speaker, 0) + 1
        if speaking != self.speaking:
            self.speaking = speaking

    def start(self) -> None:
        self.engine.start()

    async def stop(self) -> None:
        if self.recording is not None:
            await self.recording.close()
        await self.engine.stop()
        await self.listeners.close_all()
        await self.hub.stop()


class AudioRooms:
    def __init__(
        self, *, web_host: str = "127.0.0.1", recordings_dir: Path | None = None, web_listeners_per_space: int = 1000
    ) -> None:
        self._web_host = web_host
        self._web_listeners_per_space = web_listeners_per_space
        self._rooms: dict[str, SpaceAudio] = {}
        # One for the process: the garbage collector is process-wide (spaces_core/webrtc/heap.py).
        self._heap = ListenerHeap()
        self.replays = ReplayFiles(recordings_dir) if recordings_dir is not None else None
        # Features that tap a room's audio (live captions) hear of each room opening and before it closes.
        self._opened: list[Callable[[SpaceAudio], None]] = []
        self._closing: list[Callable[[str], None]] = []

    def watch(self, opened: Callable[[SpaceAudio], None], closing: Callable[[str], None]) -> None:
        """``opened(room)`` once a new room runs, ``closing(space_id)`` before its engine stops; both on the loop,
        neither may block."""
        self._opened.append(opened)
        self._closing.append(closing)

    def get(self, space_id: str) -> SpaceAudio | None:
        return self._rooms.get(space_id)

    def rooms(self) -> Iterable[SpaceAudio]:
        return self._rooms.values()

    def holder(self, guild_id: int) -> SpaceAudio | None:
        """The room of the server's Space that has the bot's own voice connection there (bot/audio/server_audio.py)."""
        return next((r for r in self._rooms.values() if r.space.guild_id == guild_id and r.connection == MAIN), None)

    def in_guild(self, guild_id: int) -> list[SpaceAudio]:
        return [room for room in self._rooms.values() if room.space.guild_id == guild_id]

    def open(self, space: Space, connection: int = MAIN) -> SpaceAudio:
        room = self._rooms.get(space.id)
        if room is None:
            room = self._rooms[space.id] = SpaceAudio(
                space,
                web_host=self._web_host,
                max_listeners=self._web_listeners_per_space,
                heap=self._heap,
                connection=connection,
            )
            if self.replays is not None:
                room.recording = SpaceRecording(room.engine, self.replays, space.id)
            room.start()
            for opened in self._opened:
                opened(room)
        room.update(space)
        return room

    def update(self, space: Space) -> None:
        room = self._rooms.get(space.id)
        if room is not None:
            room.update(space)

    async def follow_recording(self, space: Space) -> None:
        """Start (or resume) the Space's recording as committed; the rest follows in ``update``."""
        room = self._rooms.get(space.id)
        if room is not None and room.recording is not None:
            await room.recording.follow(space)

    async def close(self, space_id: str) -> None:
        room = self._rooms.pop(space_id, None)
        if room is not None:
            for closing in self._closing:
                closing(space_id)
            await room.stop()

    async def stop(self) -> None:
        for space_id in list(self._rooms):
            await self.close(space_id)
