"""`/stage …`: who speaks. Approve or deny raised hands, invite, move to the audience, mute, remove, block and
unblock, and co-hosts. Each command names one member and calls one service; the services check the actor's role.

`/stage` is shown to every member (no default_permissions): hosts need it, and anyone eligible may host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands import actor_in, resolve_space
from bot.context import app_of
from bot.replies import guarded, reply
from bot.spaces import pickers
from spaces_core.domain.errors import NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space
from spaces_core.services.spaces import SpaceService

__all__ = ["ModerationCog"]

UseCase = Callable[[SpaceService, str, Actor, int], Awaitable[Space]]


async def _moderate(
    interaction: discord.Interaction, member: discord.Member, use_case: UseCase, done: str, doing: str
) -> None:
    async def act() -> None:
        space = await resolve_space(interaction)
        spaces = app_of(interaction.client).spaces
        if member.id not in space.present and _in_channel(member, space.channel_id):
            # Discord already shows them on the Stage; their join event is still on its way to us.
            await spaces.member_joined(space.guild_id, space.channel_id, member.id)
        await use_case(spaces, space.id, await actor_in(interaction), member.id)
        await reply(interaction, done.format(member=member.mention, title=space.title))

    await guarded(interaction, act, doing=doing)


async def _blocked_id(interaction: discord.Interaction, typed: str) -> int:
    """The member meant: the id the picker sends, a pasted mention or id, or a name on the block list."""
    text = typed.strip().removeprefix("<@").removeprefix("!").removesuffix(">")
    if text.isdigit():
        return int(text)
    wanted = typed.strip().removeprefix("@").casefold()
    for choice in await pickers.blocked_members(interaction, "") if wanted else []:
        if choice.name.casefold().startswith(wanted):
            return int(choice.value)
    raise NotFound("That member isn't on your block list: pick one from the list.")


def _in_channel(member: discord.Member, channel_id: int) -> bool:
    return member.voice is not None and member.voice.channel is not None and member.voice.channel.id == channel_id


class ModerationCog(commands.Cog):
    stage = app_commands.Group(name="stage", description="Who speaks in the Space", guild_only=True)
    cohost = app_commands.Group(name="cohost", description="Co-hosts of your Space (two at most)", guild_only=True)

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    @stage.command(name="approve", description="Bring a member with a raised hand up to speak")
    async def approve(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(interaction, member, SpaceService.approve, "{member} is now a speaker.", "bring them up")

    @stage.command(name="deny", description="Decline a member's request to speak")
    async def deny(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(interaction, member, SpaceService.deny, "You declined {member}'s request.", "decline")

    @stage.command(name="invite", description="Invite a listener to speak (they must accept)")
    async def invite(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(
            interaction,
            member,
            SpaceService.invite,
            "Invitation sent to {member}; they're brought up when they accept.",
            "invite them",
        )

    @stage.command(name="move", description="Move a speaker back to the audience")
    async def move(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(
            interaction,
            member,
            SpaceService.move_to_audience,
            "{member} is back in the audience.",
            "move them",
        )

    @stage.command(name="mute", description="Mute a speaker")
    async def mute(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(interaction, member, SpaceService.mute, "{member} is muted.", "mute them")

    @stage.command(name="unmute", description="Unmute a speaker you muted")
    async def unmute(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(interaction, member, SpaceService.unmute, "{member} is unmuted.", "unmute them")

    @stage.command(name="remove", description="Remove a member from this Space (they can't rejoin it)")
    async def remove(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(
            interaction, member, SpaceService.remove, "{member} was removed from **{title}**.", "remove them"
        )

    @stage.command(name="block", description="Block a member from all of your Spaces")
    async def block(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(
            interaction,
            member,
            SpaceService.block,
            "{member} is blocked from all your Spaces (`/stage unblock` undoes it).",
            "block them",
        )

    @stage.command(name="unblock", description="Let a member you blocked into your Spaces again")
    @app_commands.describe(member="A member you blocked (pick one from your block list)")
    @app_commands.autocomplete(member=pickers.blocked_members)
    async def unblock(self, interaction: discord.Interaction, member: str) -> None:
        async def act() -> None:
            app = app_of(interaction.client)
            user_id = await _blocked_id(interaction, member)
            live = await app.spaces.unblock(await actor_in(interaction), user_id)
            back = f" They can join **{live.title}** now." if live is not None else ""
            await reply(interaction, f"<@{user_id}> is no longer blocked from your Spaces.{back}")

        await guarded(interaction, act, doing="unblock them")

    @cohost.command(name="add", description="Make a member co-host (they take over if you leave)")
    async def add(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(interaction, member, SpaceService.add_cohost, "{member} is now a co-host.", "add the co-host")

    @cohost.command(name="remove", description="Remove a co-host")
    async def drop(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await _moderate(
            interaction,
            member,
            SpaceService.remove_cohost,
            "{member} is no longer a co-host.",
            "remove the co-host",
        )
