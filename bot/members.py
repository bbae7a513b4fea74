"""A guild's member by id: from the client's cache, else asked of Discord (a member the cache has not seen since a
restart, or the gateway never sent); None when they are no longer in the server."""

from __future__ import annotations

import discord

__all__ = ["member_of"]


async def member_of(guild: discord.Guild, user_id: int) -> discord.Member | None:
    member = guild.get_member(user_id)
    if member is not None:
        return member
    try:
        return await guild.fetch_member(user_id)
    except discord.NotFound:
        return None
