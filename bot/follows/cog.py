"""`/follow`, `/unfollow`, `/following`: the follow graph that drives go-live DMs and host eligibility."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.context import app_of
from bot.replies import guarded, reply

__all__ = ["FollowCog"]


class FollowCog(commands.Cog):
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @app_commands.command(name="follow", description="Follow a host: get a DM when they go live")
    async def follow(self, interaction: discord.Interaction, host: discord.User) -> None:
        async def act() -> None:
            await app_of(interaction.client).follows.follow(interaction.user.id, host.id)
            await reply(interaction, f"You now follow {host.mention}. I'll DM you when they go live.")

        await guarded(interaction, act, doing="follow them")

    @app_commands.command(name="unfollow", description="Stop following a host")
    async def unfollow(self, interaction: discord.Interaction, host: discord.User) -> None:
        async def act() -> None:
            await app_of(interaction.client).follows.unfollow(interaction.user.id, host.id)
            await reply(interaction, f"You no longer follow {host.mention}.")

        await guarded(interaction, act, doing="unfollow them")

    @app_commands.command(name="following", description="Hosts you follow, and how many follow you")
    async def following(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            follows = app_of(interaction.client).follows
            hosts = await follows.following(interaction.user.id)
            mine = await follows.follower_count(interaction.user.id)
            lines = [f"<@{host_id}> · {await follows.follower_count(host_id)} followers" for host_id in hosts[:50]]
            listing = "\n".join(lines) if lines else "You don't follow anyone yet. Try `/follow`."
            await reply(interaction, f"**You follow {len(hosts)}:**\n{listing}\n\n**Your followers:** {mine}")

        await guarded(interaction, act, doing="list who you follow")
