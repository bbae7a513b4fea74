"""The live captions of each Space, as the listen page and the Stage chat's message read them.

The captions pipeline `publish`es each line as it is transcribed and says when captions fall behind
(`set_delayed`); readers take the latest lines (`recent`) and wait for the next change (`changed`). Lines are kept
per Space in a short ring: captions are for following along, the stored transcript keeps the rest.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Final

__all__ = ["CaptionFeed", "CaptionLine", "SpaceCaptionState"]

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
            if not on:
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

    async def changed(self, space_id: str, seen_version: int) -> int:
        """Waits until the Space's captions differ from `seen_version`; returns the new version."""
        state = self.state(space_id)
        while state.version == seen_version:
            await state.changed.wait()
        return state.version

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
