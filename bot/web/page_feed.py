"""One render of a live Space's page for all its open pages.

Every open listen page holds an event stream to the bot, wherever its audio comes from (the bot, a Janus edge,
HLS). Each stream used to render the page's state (names, avatars, counts) and serialise it four times a
second for itself: 0.62 of a core for 1,000 open pages of a Space where nothing changed (bench/bench_events.py),
so the pages, not the audio, would have filled the bot's event loop first. Here one task per watched Space
renders the state and the captions once per look (`STATE_INTERVAL`, or at once when captions change) and wakes
the streams only when the text changed; a stream compares a version and writes what it has not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.captions.feed import CaptionFeed, CaptionSnapshot

__all__ = ["CAPTION_LINES", "STATE_INTERVAL", "PageFeed", "PageText", "PageWatch", "caption_event"]

STATE_INTERVAL = 0.25  # seconds between two looks at the state: speaking lights follow speech closely enough
CAPTION_LINES = 5  # the page shows the last few lines: enough to follow along, short enough to read on a phone


@dataclass(frozen=True, slots=True)
class PageText:
    """What every page of a Space is sent, as the JSON texts of its two events, at one `version`."""

    message: str  # the page's state (``bot.web.page_state``)
    captions: str  # the `captions` event
    version: int
    live: bool  # False once the Space's room is gone: the streams say it ended


@dataclass(eq=False)
class PageWatch:
    """A Space's page text shared by its open streams, and the event that wakes them when it changes."""

    room: SpaceAudio
    text: PageText = PageText("", "", 0, True)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    readers: int = 0
    task: asyncio.Task[None] | None = None

    def publish(self, text: PageText) -> None:
        self.text = text
        woken, self.changed = self.changed, asyncio.Event()
        woken.set()


def caption_event(captions: CaptionSnapshot) -> dict[str, Any]:
    """What the page's captions panel shows: lines only while captions are on (names and text are plain text)."""
    lines = captions.lines if captions.on else ()
    return {
        "on": captions.on,
        "delayed": captions.on and captions.delayed,
        "lines": [
            {"speaker": str(x.speaker_id), "name": x.name, "start_s": x.start_s, "end_s": x.end_s, "text": x.text}
            for x in lines
        ],
    }


def _json(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


class PageFeed:
    def __init__(
        self, audio: AudioRooms, render: Callable[[SpaceAudio], dict[str, Any]], captions: CaptionFeed
    ) -> None:
        self._audio, self._render, self._captions = audio, render, captions
        self._watches: dict[str, PageWatch] = {}

    def readers(self, space_id: str) -> int:
        """How many streams (and other followers) read the Space's page text now."""
        watch = self._watches.get(space_id)
        return 0 if watch is None else watch.readers

    @contextlib.asynccontextmanager
    async def watching(self, room: SpaceAudio) -> AsyncIterator[PageWatch]:
        """The Space's shared watch while the caller reads it; the watch's task stops with its last reader."""
        watch = self._watches.get(room.space.id)
        if watch is None or watch.room is not room:  # none yet, or a room that ended and was opened again
            watch = self._watches[room.space.id] = PageWatch(room)
        watch.readers += 1
        if watch.task is None:
            watch.task = asyncio.create_task(self._follow(watch), name=f"page feed {room.space.id}")
        try:
            yield watch
        finally:
            watch.readers -= 1
            if watch.readers == 0:
                task, watch.task = watch.task, None
                if self._watches.get(room.space.id) is watch:
                    del self._watches[room.space.id]
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    @staticmethod
    async def next(watch: PageWatch, seen_version: int, timeout: float) -> PageText:  # noqa: ASYNC109 - a wake-up
        """The watch's text once its version is past `seen_version`, or as it is after `timeout` seconds."""
        if watch.text.version == seen_version:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await watch.changed.wait()
        return watch.text

    async def _follow(self, watch: PageWatch) -> None:
        space_id = watch.room.space.id
        while True:
            live = self._audio.get(space_id) is watch.room
            message = _json(self._render(watch.room)) if live else watch.text.message
            captions = self._captions.snapshot(space_id, CAPTION_LINES)
            captions_text = _json(caption_event(captions))
            current = watch.text
            if (message, captions_text, live) != (current.message, current.captions, current.live):
                watch.publish(PageText(message, captions_text, current.version + 1, live))
            if not live:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STATE_INTERVAL):
                    await self._captions.changed(space_id, captions.version)
