"""Where a phrase is in a Space's replay.

A phrase's offset counts from the Space's start; the replay starts when recording was first turned on, and a
pause (recording off, then on) is cut out of it. Which stretches were recorded is not stored, so the replay is
taken to run up to the Space's end: its position is the offset minus (the Space's length − the replay's length).
That is exact for the usual cases (recorded from the start, or from some point on to the end); a Space whose
recording was paused or stopped before the end gets seeks that are early by the missing stretch. A phrase said
before the replay begins has no position (no link, no line beside the player).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import av

from spaces_core.domain.space import Space

__all__ = ["replay_length", "replay_start"]


def _length(path: Path) -> timedelta | None:
    with av.open(str(path)) as container:  # Ogg: the last page's granule, found without decoding
        return None if container.duration is None else timedelta(microseconds=container.duration)


async def replay_length(path: Path) -> timedelta | None:
    try:
        return await asyncio.to_thread(_length, path)
    except (OSError, av.FFmpegError):
        return None


async def replay_start(space: Space, path: Path) -> timedelta | None:
    """How far into the Space the replay begins (zero when recorded from the start); None if unreadable."""
    length = await replay_length(path)
    began = space.started_at or space.created_at
    if length is None or space.ended_at is None:
        return None
    return max(timedelta(0), (space.ended_at - began) - length)
