"""The transcript beside the replay player: each phrase said while the Space was recorded, its time in the replay,
its speaker's name; and the recap's chapters at their places in the replay. Served by the replay page
(`bot.web.replay`) to the member its signed link was issued to, while they may still hear the Space.

Chapters are computed as the recap computes them (`spaces_core.recap.chapters` over all of the Space's phrases,
in the recap's order), so the page lists the same chapters the recap posted in Discord; one named before the
replay begins has no place in it and is left out. Keywords are CPU work (yake is pure Python): done in a thread,
and kept for the last few Spaces asked about, since a reader opening the page again gets the same answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import discord

from bot.access import may_hear, speaker_names
from bot.context import app_of
from bot.transcripts.timeline import replay_start
from spaces_core.domain.errors import NotFound
from spaces_core.domain.transcripts import Phrase
from spaces_core.recap import Chapter, chapters

__all__ = ["ReplayLines"]

log = logging.getLogger(__name__)
KEPT_CHAPTERS = 32  # Spaces whose chapters are remembered: the replays being read now, not every one ever read


def _seconds(offset: timedelta) -> float:
    return round(offset.total_seconds(), 3)


class ReplayLines:
    def __init__(self, client: discord.Client) -> None:
        self._client = client
        self._chapters: OrderedDict[tuple[str, int, timedelta], tuple[Chapter, ...]] = OrderedDict()

    async def __call__(self, space_id: str, member_id: int) -> dict[str, Any] | None:
        """{"lines": [...], "chapters": [...]}, in the order said; None when this member may not hear the Space."""
        app = app_of(self._client)
        try:
            space = await app.spaces.get(space_id)
        except NotFound:
            return {"lines": [], "chapters": []}
        if not await may_hear(self._client, space, member_id):
            return None
        path = app.audio.replays.existing(space_id) if app.audio.replays is not None else None
        start = await replay_start(space, path) if path is not None else None
        if start is None:
            return {"lines": [], "chapters": []}
        every = sorted(await app.transcripts.of_space(space_id), key=lambda p: (p.start, p.end, p.speaker_id, p.text))
        phrases = [p for p in every if p.start >= start]
        names = speaker_names(self._client, space.guild_id, (p.speaker_id for p in phrases))
        lines = [
            {
                "at": _seconds(p.start - start),
                "end": _seconds(p.end - start),
                "name": names.get(p.speaker_id, "a former member"),
                "text": p.text,
            }
            for p in phrases
        ]
        found = await self._chapters_of(space_id, every)
        marks = [{"at": _seconds(c.at - start), "keyword": c.keyword} for c in found if c.at >= start]
        return {"lines": lines, "chapters": marks}

    async def _chapters_of(self, space_id: str, phrases: Sequence[Phrase]) -> tuple[Chapter, ...]:
        if not phrases:
            return ()
        key = (space_id, len(phrases), phrases[-1].end)  # phrases deleted or added make another key
        if key not in self._chapters:
            try:
                self._chapters[key] = await asyncio.to_thread(chapters, phrases)
            except Exception:  # the keywords failing must not take the transcript with them
                log.exception("chapters of Space %s", space_id)
                return ()
            while len(self._chapters) > KEPT_CHAPTERS:
                self._chapters.popitem(last=False)
        self._chapters.move_to_end(key)
        return self._chapters[key]
