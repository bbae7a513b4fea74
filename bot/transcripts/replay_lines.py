"""The transcript beside the replay player: each phrase said while the Space was recorded, its time in the replay,
its speaker's name. Served by the replay page (`bot.web.replay`) to the member its signed link was issued to,
while they may still hear the Space."""

from __future__ import annotations

from typing import Any

import discord

from bot.access import may_hear, speaker_names
from bot.context import app_of
from bot.transcripts.timeline import replay_start
from spaces_core.domain.errors import NotFound

__all__ = ["ReplayLines"]


class ReplayLines:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def __call__(self, space_id: str, member_id: int) -> list[dict[str, Any]] | None:
        """The lines, in the order said; None when this member may not hear the Space (any more)."""
        app = app_of(self._client)
        try:
            space = await app.spaces.get(space_id)
        except NotFound:
            return []
        if not await may_hear(self._client, space, member_id):
            return None
        path = app.audio.replays.existing(space_id) if app.audio.replays is not None else None
        start = await replay_start(space, path) if path is not None else None
        if start is None:
            return []
        phrases = [p for p in await app.transcripts.of_space(space_id) if p.start >= start]
        names = speaker_names(self._client, space.guild_id, (p.speaker_id for p in phrases))
        return [
            {
                "at": round((p.start - start).total_seconds(), 3),
                "end": round((p.end - start).total_seconds(), 3),
                "name": names.get(p.speaker_id, "a former member"),
                "text": p.text,
            }
            for p in phrases
        ]
