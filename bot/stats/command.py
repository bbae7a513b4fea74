"""`/space stats [space]` (in the `/space` group of bot/spaces/cog.py): the chart of one of the member's Spaces
as an image, its figures in words, and a private link to the host page. Host, co-hosts and admins only: the
service refuses anyone else, whatever the picker offered."""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands

from bot.commands import actor_in, guild_only
from bot.context import app_of
from bot.notices import display_name
from bot.replies import guarded
from bot.stats.chart import chart_caption, draw
from spaces_core.domain.errors import NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space

__all__ = ["my_spaces", "stats"]

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
MAX_CHOICES, MAX_NAME = 25, 100
NONE_YET = "You haven't hosted or co-hosted a Space here yet: once you have, `/space stats` shows how it went."


def plain(text: str) -> str:
    """A title as typed: no markdown, no mention (they are off anyway, this keeps them from looking like one)."""
    return discord.utils.escape_markdown(text).replace("@", "@\u200b").replace("<", "\\<")


def _when(space: Space) -> str:
    started = space.started_at or space.created_at
    return f"{started:%d %b %Y %H:%M} UTC"


async def _target(interaction: discord.Interaction, actor: Actor, chosen: str | None) -> Space:
    """The Space picked (its id from the picker, or the start of a title typed), else the member's newest."""
    app = app_of(interaction.client)
    candidates = await app.stats.service.spaces_of(guild_only(interaction), actor)
    if chosen:
        typed = chosen.strip().casefold()
        for space in candidates:
            if space.id == chosen or space.title.casefold().startswith(typed):
                return space
        if not actor.is_admin:  # maybe someone else's: the service says so in plain words
            return await app.spaces.get(chosen.strip())
        raise NotFound("I can't find that Space here: pick one from the list.")
    mine = [s for s in candidates if actor.user_id in (s.host_id, s.original_host_id, *s.cohosts)]
    if not mine:
        raise NotFound(NONE_YET)
    return mine[0]


async def stats(interaction: discord.Interaction, chosen: str | None) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        guild_id = guild_only(interaction)
        actor = await actor_in(interaction)
        space = await _target(interaction, actor, chosen)
        view = await app.stats.service.view(space.id, actor, guild_id)  # refuses anyone but host, co-hosts, admins
        await interaction.response.defer(ephemeral=True, thinking=True)
        names = {user: display_name(interaction.client, guild_id, user) for user in view.chart.talk_seconds}
        png = await draw(view.chart, names)  # in a child process: the audio ticks on the loop
        link = app.stats.page_url(space.id, actor.user_id)
        lines = [f"**{plain(space.title)}** ({_when(space)}): {chart_caption(view.chart)}"]
        if link is not None:
            lines.append(f"Your private page with these charts and your past Spaces (for 1 hour): {link}")
        await interaction.edit_original_response(
            content="\n".join(lines),
            attachments=[discord.File(io.BytesIO(png), filename="space-stats.png")],
            allowed_mentions=NO_MENTIONS,
        )

    await guarded(interaction, act, doing="show the stats")


async def my_spaces(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The member's own Spaces here, newest first (every Space here for an admin); the value is the Space's id.
    Never fails loudly: no choices is the answer to any trouble."""
    try:
        actor = await actor_in(interaction)
        found = await app_of(interaction.client).stats.service.spaces_of(interaction.guild_id or 0, actor)
    except Exception:
        log.exception("the stats picker failed")
        return []
    wanted = current.strip().casefold()
    names = ((f"{s.title[:60]} · {_when(s)}", s.id) for s in found)
    return [
        app_commands.Choice(name=name[:MAX_NAME], value=value) for name, value in names if wanted in name.casefold()
    ][:MAX_CHOICES]
