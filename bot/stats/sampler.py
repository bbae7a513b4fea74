"""Samples each live Space every `interval` seconds: listeners on Discord and on the web, speakers, raised hands,
reactions so far, and the talk time each speaker's audio showed since the last sample.

The Spaces come from the bus (each committed batch hands over the Space as saved) and, at start, from the store
(a restart resumes the Spaces still live). Talk time is counted by the audio room on every 20 ms frame
(`SpaceAudio.talk_frames`); here only the growth since the last write is added, so a room that closes and opens
again (the voice connection moved) counts from zero without losing what was written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.audio.rooms import AudioRooms, SpaceAudio
from spaces_core.audio.format import FRAME_SECONDS
from spaces_core.domain.space import Space
from spaces_core.domain.stats import SeriesBound, StatsSample
from spaces_core.ports import Clock
from spaces_core.services.stats import StatsService

__all__ = ["StatsSampler"]

log = logging.getLogger(__name__)
FRAME_MS = round(FRAME_SECONDS * 1000)


@dataclass(slots=True)
class _Tracked:
    space: Space
    bound: SeriesBound
    room: SpaceAudio | None = None  # the room whose counters `written` refers to
    written: dict[int, int] = field(default_factory=dict)  # talk frames already added to the store


class StatsSampler:
    def __init__(
        self,
        stats: StatsService,
        rooms: AudioRooms,
        all_live: Callable[[], Awaitable[list[Space]]],
        clock: Clock,
        *,
        interval: float,
        max_samples: int,
    ) -> None:
        self._stats, self._rooms, self._all_live, self._clock = stats, rooms, all_live, clock
        self._interval, self._max_samples = interval, max_samples
        self._tracked: dict[str, _Tracked] = {}
        self._closed_talk: dict[str, dict[int, int]] = {}  # talk of rooms closed since the last pass
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="stats-sampler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._write_closed_talk()

    async def follow(self, space: Space) -> None:
        """Every committed batch of a Space: the latest state is what the next sample reads."""
        if space.is_live:
            await self._track(space)
        else:
            self._tracked.pop(space.id, None)

    def room_closing(self, space_id: str) -> None:
        """Before a room stops (on the loop, must not block): keep the talk it counted that is not written yet."""
        tracked, room = self._tracked.get(space_id), self._rooms.get(space_id)
        if room is not None:
            pending = self._talk_growth(tracked, room) if tracked is not None else dict(room.talk_frames)
            if pending:
                self._closed_talk[space_id] = _added(self._closed_talk.get(space_id, {}), pending)
            if tracked is not None:
                tracked.room, tracked.written = None, {}

    async def _track(self, space: Space) -> None:
        tracked = self._tracked.get(space.id)
        if tracked is None:
            stored = await self._stats.stored(space.id)
            self._tracked[space.id] = _Tracked(space, SeriesBound(self._max_samples, stored=stored))
        else:
            tracked.space = space

    async def _run(self) -> None:
        for space in await self._all_live():
            await self._track(space)
        while True:
            await self._write_closed_talk()
            for tracked in list(self._tracked.values()):
                try:
                    await self.sample(tracked)
                except Exception:  # one Space's trouble (a database hiccup) must not stop the others' samples
                    log.exception("could not sample the stats of Space %s", tracked.space.id)
            await asyncio.sleep(self._interval)

    async def sample(self, tracked: _Tracked) -> None:
        space, room = tracked.space, self._rooms.get(tracked.space.id)
        sample = None
        if tracked.bound.tick():
            web = room.listeners.count if room is not None else 0
            speakers = len({space.host_id, *space.cohosts, *space.speakers} & space.present)
            reactions = dict(space.reactions)
            sample = StatsSample(self._clock.now(), space.listener_count, web, speakers, len(space.queue), reactions)
        talk: dict[int, int] = {}
        if room is not None:  # marked written before the write: a room closing meanwhile must not count it twice
            talk = self._talk_growth(tracked, room)
            tracked.room, tracked.written = room, _added(tracked.written if tracked.room is room else {}, talk)
        await self._stats.record(space.id, sample, {user: n * FRAME_MS for user, n in talk.items()})
        if sample is not None and tracked.bound.stored_one():
            await self._stats.thin(space.id)

    @staticmethod
    def _talk_growth(tracked: _Tracked, room: SpaceAudio) -> dict[int, int]:
        written = tracked.written if tracked.room is room else {}
        return {
            user: n - written.get(user, 0) for user, n in dict(room.talk_frames).items() if n > written.get(user, 0)
        }

    async def _write_closed_talk(self) -> None:
        closed, self._closed_talk = self._closed_talk, {}
        for space_id, frames in closed.items():
            await self._stats.record(space_id, None, {user: n * FRAME_MS for user, n in frames.items()})


def _added(a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
    return {user: a.get(user, 0) + b.get(user, 0) for user in a.keys() | b.keys()}
