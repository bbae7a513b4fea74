"""The replay page's header: the Space's title, its host's name and avatar, its server's name and icon, when it
started and how long the replay runs. Names and pictures as Discord shows them now (the bot's cache); a host who
left the server keeps their account's name, one the bot never saw is "a former member"."""

from __future__ import annotations

import discord

from bot.context import app_of
from bot.transcripts.timeline import replay_length
from bot.web import ReplayFacts
from spaces_core.domain.errors import NotFound

__all__ = ["ReplayHeader"]

AVATAR_SIZE = 64  # pixels: the header shows them at 32 CSS px, sharp on a 2x screen, not Discord's 1,024 default


class ReplayHeader:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def __call__(self, space_id: str) -> ReplayFacts | None:
        app = app_of(self._client)
        try:
            space = await app.spaces.get(space_id)
        except NotFound:
            return None
        guild = self._client.get_guild(space.guild_id)
        host = (guild.get_member(space.host_id) if guild is not None else None) or self._client.get_user(space.host_id)
        path = app.audio.replays.existing(space_id) if app.audio.replays is not None else None
        length = await replay_length(path) if path is not None else None
        return ReplayFacts(
            title=space.title,
            host_name=host.display_name if host is not None else "a former member",
            host_avatar=host.display_avatar.with_size(AVATAR_SIZE).url if host is not None else None,
            server_name=guild.name if guild is not None else "a Discord server",
            server_icon=guild.icon.with_size(AVATAR_SIZE).url if guild is not None and guild.icon is not None else None,
            started_at=space.started_at or space.created_at,
            length_seconds=None if length is None else length.total_seconds(),
        )
