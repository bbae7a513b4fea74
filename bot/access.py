"""Who may hear a Space (and so read what was said in it or get its replay), and the names its speakers go by.

Anyone who may hear the Space may read it: a member who can see its Stage, and for a ticketed Space only its
ticket holders, host, co-hosts and the server's moderators (`Tickets.may_attend`). Checked here, on the bot's
side, for every file, search hit, replay link and replay page line.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.context import app_of
from spaces_core.domain.errors import NotFound
from spaces_core.domain.space import Space

__all__ = ["Audience", "may_hear", "speaker_names"]


async def may_hear(client: discord.Client, space: Space, user_id: int, member: discord.Member | None = None) -> bool:
    guild = client.get_guild(space.guild_id)
    member = member or (guild.get_member(user_id) if guild is not None else None)
    stage = guild.get_channel(space.channel_id) if guild is not None else None
    # A private Stage stays private afterwards.
    if (
        member is not None
        and isinstance(stage, discord.abc.GuildChannel)
        and not stage.permissions_for(member).view_channel
    ):
        return False
    return await app_of(client).tickets.may_attend(space, user_id)


class Audience:
    """`await audience(space_id, member_id)`: whether the member may hear that Space (for the web's signed links,
    which name a Space and a member, not a Discord interaction). A Space the bot no longer knows is heard by none."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def __call__(self, space_id: str, member_id: int) -> bool:
        try:
            space = await app_of(self._client).spaces.get(space_id)
        except NotFound:
            return False
        return await may_hear(self._client, space, member_id)


def speaker_names(client: discord.Client, guild_id: int, speaker_ids: Iterable[int]) -> dict[int, str]:
    """Display names as the server shows them now; a member who left keeps their account's name, one the bot
    never saw is left out (the files then say "Speaker <id>")."""
    guild = client.get_guild(guild_id)
    names: dict[int, str] = {}
    for user_id in set(speaker_ids):
        user = (guild.get_member(user_id) if guild is not None else None) or client.get_user(user_id)
        if user is not None:
            names[user_id] = user.display_name
    return names
