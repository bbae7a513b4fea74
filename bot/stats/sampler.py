"""Samples each live Space every `interval` seconds: listeners on Discord and on the web, speakers, raised hands,
reactions so far, and the talk time each speaker's audio showed since the last sample.

The Spaces come from the bus (each committed batch hands over the Space as saved) and, at start, from the store
(a restart resumes the Spaces still live). Talk time is counted by the audio room on every 20 ms frame
(`SpaceAudio.talk_frames`); here only the growth since the last write is added, so a room that closes and opens
again (the voice connection moved) counts from zero without losing what was written, and what a closing room
counted since the last sample is written on the next pass.
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

__all__ = ["FRAME_MS", "StatsSampler"]

log = logging.getLogger(__name__)
FRAME_MS = round(FRAME_SECONDS * 1000)


@dataclass(slots=True)
class _Tracked:
    space: Space
    bound: SeriesBound


@dataclass(slots=True)
class _Talk:
    """One room's counters and how much of them is written."""

    room: SpaceAudio
    written: dict[int, int] = field(default_factory=dict)

    def take(self) -> dict[int, int]:
        """The frames counted since the last take, marked written (before the write: a room closing meanwhile
        must not count them twice)."""
        counted = dict(self.room.talk_frames)
        growth = {user: n - self.written.get(user, 0) for user, n in counted.items() if n > self.written.get(user, 0)}
        self.written = counted
        return growth


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
        self._talk: dict[str, _Talk] = {}  # each open room's counters, by Space
        self._closed_talk: dict[str, dict[int, int]] = {}  # what rooms closed since the last pass counted
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
        if not space.is_live:
            self._tracked.pop(space.id, None)
        elif space.id in self._tracked:
            self._tracked[space.id].space = space
        else:
            stored = await self._stats.stored(space.id)
            self._tracked[space.id] = _Tracked(space, SeriesBound(self._max_samples, stored=stored))

    def room_opened(self, room: SpaceAudio) -> None:
        self._talk[room.space.id] = _Talk(room)

    def room_closing(self, space_id: str) -> None:
        """Before a room stops (on the loop, must not block): keep what it counted that is not written yet."""
        talk = self._talk.pop(space_id, None)
        pending = talk.take() if talk is not None else {}
        if pending:
            earlier = self._closed_talk.get(space_id, {})
            self._closed_talk[space_id] = {u: earlier.get(u, 0) + pending.get(u, 0) for u in earlier.keys() | pending}

    async def _run(self) -> None:
        resumed = False
        while True:
            try:
                if not resumed:  # the Spaces a restart left live; tried again next time if the store is busy
                    for space in await self._all_live():
                        await self.follow(space)
                    resumed = True
                await self.sample_all()
            except Exception:  # the store's trouble must not end the sampling: the next pass tries again
                log.exception("host stats: a sampling pass failed")
            await asyncio.sleep(self._interval)

    async def sample_all(self) -> None:
        """One pass: the talk of rooms closed since the last, then a sample of each live Space (stored or not,
        as its bound says)."""
        await self._write_closed_talk()
        for tracked in list(self._tracked.values()):
            try:
                await self._sample(tracked)
            except Exception:  # one Space's trouble (a database hiccup) must not stop the others' samples
                log.exception("could not sample the stats of Space %s", tracked.space.id)

    async def _sample(self, tracked: _Tracked) -> None:
        space, talk = tracked.space, self._talk.get(tracked.space.id)
        sample = None
        if tracked.bound.tick():
            web = talk.room.web_listeners if talk is not None else 0
            speakers = len({space.host_id, *space.cohosts, *space.speakers} & space.present)
            reactions = dict(space.reactions)
            sample = StatsSample(self._clock.now(), space.listener_count, web, speakers, len(space.queue), reactions)
        growth = talk.take() if talk is not None else {}
        await self._stats.record(space.id, sample, _ms(growth))
        if sample is not None and tracked.bound.stored_one():
            await self._stats.thin(space.id)

    async def _write_closed_talk(self) -> None:
        closed, self._closed_talk = self._closed_talk, {}
        for space_id, frames in closed.items():
            await self._stats.record(space_id, None, _ms(frames))


def _ms(frames: dict[int, int]) -> dict[int, int]:
    return {user: n * FRAME_MS for user, n in frames.items()}
