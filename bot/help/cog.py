"""`/help`: what this member can do in this server, under this server's rules, privately.

The command list is read from the bot's own command tree, so it never drifts from what is registered; commands
a member is not shown by Discord (default_member_permissions) are left out for them too. Which section a command
belongs to is the table below; whether the member may host is the domain's own eligibility rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands import actor_in, guild_only, resolve_space
from bot.context import app_of
from bot.preferences.policy_render import policy_lines
from bot.replies import guarded, reply, said
from spaces_core.domain.errors import NotEligible, SpacesError
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy, check_host_eligibility

__all__ = ["HelpCog", "help_embed"]

FIELD_LIMIT, EMBED_LIMIT = 1024, 6000  # Discord's limits on a field's value and on an embed's total text
HOSTING = ("space start", "space end", "space schedule", "space reschedule", "space cancel", "space record",
           "space captions", "space broadcast", "space tickets", "space sales", "space refund", "space panel",
           "space pin", "space unpin", "cohost", "payouts")  # fmt: skip
STAGE = ("stage",)
TICKETS = ("space tickets", "space sales", "space refund", "payouts")  # listed only where tickets are on
Leaf = app_commands.Command[Any, ..., Any]


def _leaves(command: Leaf | app_commands.Group) -> Iterator[Leaf]:
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            yield from _leaves(child)
    else:
        yield command


def _shown_to(top: Leaf | app_commands.Group, member: discord.Member) -> bool:
    needed = top.default_permissions
    return needed is None or member.guild_permissions >= needed


def _in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + " ") for p in prefixes)


def _sections(tree: app_commands.CommandTree[Any], member: discord.Member, *, tickets: bool) -> dict[str, list[Leaf]]:
    sections: dict[str, list[Leaf]] = {"listen": [], "host": [], "stage": [], "admin": []}
    tops = tree.get_commands(type=discord.AppCommandType.chat_input)
    for top in sorted(tops, key=lambda c: (c.name != "space", c.name)):  # /space first: it's where Spaces are
        if not _shown_to(top, member):
            continue
        for leaf in _leaves(top):
            name = leaf.qualified_name
            if not tickets and _in(name, TICKETS):
                continue
            key = "admin" if top.default_permissions else "host" if _in(name, HOSTING) else "listen"
            sections["stage" if _in(name, STAGE) else key].append(leaf)
    return sections


def _fields(title: str, leaves: list[Leaf], *, brief: bool) -> list[tuple[str, str]]:
    """`title`'s lines cut into fields of at most 1,024 characters (the later ones titled "… (more)")."""
    lines = [f"`/{c.qualified_name}`" if brief else f"`/{c.qualified_name}` — {c.description}" for c in leaves]
    fields: list[tuple[str, str]] = []
    chunk = ""
    for line in lines:
        if chunk and len(chunk) + 1 + len(line) > FIELD_LIMIT:
            fields.append((title if not fields else f"{title} (more)", chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line[:FIELD_LIMIT]
    if chunk:
        fields.append((title if not fields else f"{title} (more)", chunk))
    return fields


def help_embed(
    sections: dict[str, list[Leaf]], you: str, rules: list[str], *, moderator: bool, brief: bool = False
) -> discord.Embed:
    embed = discord.Embed(title="Spaces here: what you can do", description=you, colour=discord.Colour.blurple())
    embed.add_field(name="This server's rules", value="\n".join(rules)[:FIELD_LIMIT], inline=False)
    stage_title = "Run the Stage (you moderate every Space here)" if moderator else "Run the Stage (as host or co-host)"
    titled = (
        ("Listen, follow, your data", sections["listen"]),
        ("Host a Space", sections["host"]),
        (stage_title, sections["stage"]),
        ("Server admins", sections["admin"]),
    )
    for title, leaves in titled:
        for name, value in _fields(title, leaves, brief=brief):
            embed.add_field(name=name, value=value, inline=False)
    if len(embed) > EMBED_LIMIT and not brief:  # a long tree: names only rather than a refused reply
        return help_embed(sections, you, rules, moderator=moderator, brief=True)
    return embed


async def _you(interaction: discord.Interaction, actor: Actor, policy: GuildPolicy) -> str:
    """Who the member is here: admin, moderator or member; whether they may host; their role in a live Space."""
    app = app_of(interaction.client)
    rank = "an admin" if actor.is_admin else "a moderator" if actor.is_moderator else "a member"
    lines = [f"You're {rank} here."]
    followers = await app.follows.follower_count(actor.user_id)
    try:
        check_host_eligibility(policy.hosting_rule, follower_count=followers, actor=actor)
        lines.append("✅ You can host Spaces: start with `/space start` or plan one with `/space schedule`.")
    except NotEligible as exc:
        lines.append(f"You can't host yet. {said(exc)}")
    try:
        space = await resolve_space(interaction)
        role = space.role_of(actor).name.lower().replace("cohost", "co-host")
        lines.append(f"In the live Space **{space.title}** you're the {role}.")
    except SpacesError:
        pass  # not in a live Space right now
    return "\n".join(lines)


class HelpCog(commands.Cog):
    def __init__(self, bot: commands.Bot | commands.AutoShardedBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What you can do with Spaces here, and this server's rules")
    @app_commands.guild_only()
    async def help(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            member = interaction.user
            if not isinstance(member, discord.Member):
                raise NotEligible("Run `/help` in a server: what you can do depends on it.")
            actor = await actor_in(interaction)
            app = app_of(interaction.client)
            policy = await app.settings.policy(guild_only(interaction))
            rules = policy_lines(policy, tickets=app.tickets.enabled)
            if not actor.is_admin:
                rules.append("Server admins change these with `/server-settings`.")
            you = await _you(interaction, actor, policy)
            embed = help_embed(
                _sections(self.bot.tree, member, tickets=app.tickets.enabled),
                you,
                rules,
                moderator=actor.is_moderator,
            )
            await reply(interaction, embed=embed)

        await guarded(interaction, act, doing="show the help")
