"""A streaming Space's page state as a file beside its HLS playlist, for pages that read it from the HLS origin.

A broadcast Space's listeners get their audio from nginx or a CDN; if each of their pages also held an event
stream to the bot, 20,000 of them would cost the bot 5–6 cores (docs/SCALING.md, measured by
bench/bench_events.py). So the state every page would be sent (``bot.web.page_feed``'s one render per Space) is
also written, on each change, as ``page.json`` in the Space's HLS directory: the page polls it through the same
origin as the segments (a CDN caches it for a second), and the bot writes one small file per change whatever the
audience. Written only where the segmenter made the Space's directory, so a ticketed Space (no HLS) never has one.

    {"version": n, "live": true/false, "state": <the page's state>, "captions": <the captions event>}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Final

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.web.page_feed import PageFeed, PageText

__all__ = ["PAGE_FILE", "PageFiles"]

log = logging.getLogger(__name__)

PAGE_FILE: Final = "page.json"
_DIRECTORY_LOOK: Final = 1.0  # seconds between looks for the directory the segmenter makes with its first segment
_IDLE_WAKE: Final = 60.0  # seconds: the follower waits on the page text's changes, this is only a bound


class PageFiles:
    def __init__(self, root: Path, pages: PageFeed) -> None:
        self._root, self._pages = root, pages
        self._audio: AudioRooms | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # held while they run (asyncio keeps only weak references)

    def watch(self, audio: AudioRooms) -> None:
        """Follow every room from its opening: its state is written once its HLS directory exists."""
        self._audio = audio
        audio.watch(self._opened, lambda space_id: None)  # a room's end reaches the follower as `live: false`

    def _opened(self, room: SpaceAudio) -> None:
        task = asyncio.create_task(self._follow(room), name=f"page file {room.space.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self, room: SpaceAudio) -> None:
        directory = self._root / room.space.id
        # The segmenter makes the directory with its first segment; a ticketed Space's never comes, and waiting
        # for it costs a look a second, where following the page text would render it four times a second.
        while not directory.is_dir():
            if self._audio is None or self._audio.get(room.space.id) is not room:
                return
            await asyncio.sleep(_DIRECTORY_LOOK)
        version = 0
        try:
            async with self._pages.watching(room) as watch:
                while True:
                    text = await self._pages.next(watch, version, _IDLE_WAKE)
                    if text.version != version:
                        _write(directory / PAGE_FILE, text)
                        version = text.version
                    if not text.live:
                        return
        except OSError:  # a full or gone disk: the pages that poll see the last state, the Space goes on
            log.exception("could not write the page state of Space %s", room.space.id)


def _write(path: Path, text: PageText) -> None:
    """Renamed into place, so a server never hands out half a file."""
    body = f'{{"version":{text.version},"live":{str(text.live).lower()},"state":{text.message or "null"},'
    body += f'"captions":{text.captions or "null"}}}'
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(body, encoding="utf-8")
    with contextlib.suppress(FileNotFoundError):  # the directory swept meanwhile: nothing to serve
        os.replace(partial, path)
