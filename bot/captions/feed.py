"""The live captions of each Space, as the listen page and the Stage chat's message read them.

The captions pipeline `publish`es each line as it is transcribed and says when captions fall behind
(`set_delayed`); readers take the latest lines (`recent`, or `snapshot` for everything a page shows) and wait for
the next change (`changed`). Lines are kept per Space in a short ring: captions are for following along, the stored
transcript keeps the rest.

Writers own a Space's entry (`forget` drops it when the Space ends). Readers never leave one behind: `snapshot` and
`recent` create nothing, and a reader waiting on a Space nobody has written to removes the entry it made when the
last such reader leaves, so a listen page open on a Space without captions costs nothing once it closes.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Final

__all__ = ["CaptionFeed", "CaptionLine", "CaptionSnapshot", "SpaceCaptionState"]

KEEP_LINES: Final = 50


@dataclass(frozen=True, slots=True)
class CaptionLine:
    speaker_id: int
    name: str  # the speaker's display name when the line was said (plain text, never markup)
    start_s: float  # seconds since the Space started
    end_s: float
    text: str


@dataclass(slots=True)
class SpaceCaptionState:
    on: bool = False
    delayed: bool = False
    lines: collections.deque[CaptionLine] = field(default_factory=lambda: collections.deque(maxlen=KEEP_LINES))
    version: int = 0  # counts every change, so a reader knows whether it has seen the latest
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    readers: int = 0  # waiting in `changed`: an entry only readers made is dropped when the last one leaves


@dataclass(frozen=True, slots=True)
class CaptionSnapshot:
    """A Space's captions at one `version`, for a reader to send and then wait past (`changed(space, version)`)."""

    on: bool
    delayed: bool
    lines: tuple[CaptionLine, ...]  # oldest first
    version: int


class CaptionFeed:
    """One per process, on the event loop (not thread-safe)."""

    def __init__(self) -> None:
        self._spaces: dict[str, SpaceCaptionState] = {}

    def state(self, space_id: str) -> SpaceCaptionState:
        state = self._spaces.get(space_id)
        if state is None:
            state = self._spaces[space_id] = SpaceCaptionState()
        return state

    def set_on(self, space_id: str, on: bool) -> None:
        state = self.state(space_id)
        if state.on != on:
            state.on = on
            if on:  # a new start: what was said before captions went off is stale (kept until then for readers)
                state.lines.clear()
            else:
                state.delayed = False
            self._bump(state)

    def publish(self, space_id: str, line: CaptionLine) -> None:
        state = self.state(space_id)
        state.lines.append(line)
        self._bump(state)

    def set_delayed(self, space_id: str, delayed: bool) -> None:
        state = self.state(space_id)
        if state.delayed != delayed:
            state.delayed = delayed
            self._bump(state)

    def delayed(self, space_id: str) -> bool:
        """Whether the Space's captions are behind (the card says so); False for a Space without captions."""
        state = self._spaces.get(space_id)
        return state is not None and state.delayed

    def recent(self, space_id: str, count: int = 5) -> list[CaptionLine]:
        state = self._spaces.get(space_id)
        return list(state.lines)[-count:] if state is not None and count > 0 else []

    def snapshot(self, space_id: str, count: int = 5) -> CaptionSnapshot:
        """On, delayed and the latest `count` lines, read together (creates no entry: off, version 0, if none)."""
        state = self._spaces.get(space_id)
        if state is None:
            return CaptionSnapshot(on=False, delayed=False, lines=(), version=0)
        lines = tuple(state.lines)[-count:] if count > 0 else ()
        return CaptionSnapshot(on=state.on, delayed=state.delayed, lines=lines, version=state.version)

    async def changed(self, space_id: str, seen_version: int) -> int:
        """Waits until the Space's captions differ from `seen_version`; returns the new version."""
        state = self.state(space_id)
        state.readers += 1
        try:
            while state.version == seen_version:
                await state.changed.wait()
            return state.version
        finally:  # also when cancelled: a reader waiting with a timeout gives up this way
            state.readers -= 1
            if state.readers == 0 and state.version == 0 and self._spaces.get(space_id) is state:
                del self._spaces[space_id]  # only readers ever made it: nothing to keep

    def __contains__(self, space_id: object) -> bool:
        """Whether the feed holds anything for the Space (written to, or being waited on)."""
        return space_id in self._spaces

    def forget(self, space_id: str) -> None:
        """The Space ended: wake its readers one last time and drop its lines."""
        state = self._spaces.pop(space_id, None)
        if state is not None:
            self._bump(state)

    @staticmethod
    def _bump(state: SpaceCaptionState) -> None:
        state.version += 1
        state.changed.set()
        state.changed = asyncio.Event()  # readers already woken hold the old, set event; new waits take this one
