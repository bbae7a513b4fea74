"""Helpers shared by cogs: who is acting, and which Space a command is about."""

from __future__ import annotations

import discord

from bot.actors import actor_for
from bot.context import app_of
from spaces_core.domain.errors import NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space

__all__ = ["actor_in", "guild_only", "resolve_space"]


def guild_only(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise NotFound("Spaces live in servers: run this command in a server, not in DMs.")
    return interaction.guild_id


async def actor_in(interaction: discord.Interaction) -> Actor:
    app = app_of(interaction.client)
    policy = await app.settings.policy(interaction.guild_id) if interaction.guild_id else None
    return actor_for(interaction.user, policy)


async def resolve_space(interaction: discord.Interaction) -> Space:
    """The Space this command is about: the one on this channel, the one the member is in, or their own."""
    app = app_of(interaction.client)
    guild_id = guild_only(interaction)
    if interaction.channel_id is not None:
        space = await app.spaces.live_in_channel(guild_id, interaction.channel_id)
        if space is not None:
            return space
    user = interaction.user
    if isinstance(user, discord.Member) and user.voice is not None and user.voice.channel is not None:
        space = await app.spaces.live_in_channel(guild_id, user.voice.channel.id)
        if space is not None:
            return space
    space = await app.spaces.live_of_host(user.id)
    if space is not None and space.guild_id == guild_id:
        return space
    raise NotFound("There's no live Space here. Run this in the Stage's chat, or while you're on the Stage.")
