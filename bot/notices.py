"""Two small Discord services the composition root hands to features as callables: a notice to a Space's host in
its Stage chat (server audio uses it) and a member's display name (the listen page's speaking lights)."""

from __future__ import annotations

import logging

import discord

from spaces_core.domain.space import Space

__all__ = ["display_name", "tell_host"]

log = logging.getLogger(__name__)


async def tell_host(client: discord.Client, space: Space, text: str) -> None:
    """A notice in the Space's Stage chat that pings its host only (the text carries members' titles)."""
    mention = discord.AllowedMentions(users=[discord.Object(space.host_id)])
    try:
        await client.get_partial_messageable(space.channel_id).send(text, allowed_mentions=mention)
    except discord.HTTPException as exc:
        log.warning("notice to the host of Space %s not posted: %s", space.id, exc)


def display_name(client: discord.Client, guild_id: int, user_id: int) -> str:
    guild = client.get_guild(guild_id)
    member = guild.get_member(user_id) if guild is not None else None
    return member.display_name if member is not None else "a speaker"
