"""`/space record on|off|optout|optin` and `/space replay [delete]`: the bodies behind the `/space` subcommands."""

from __future__ import annotations

from typing import Literal

import discord

from bot.cogs.common import actor_in, guild_only, resolve_space
from bot.context import app_of
from bot.replies import guarded, reply
from spaces_core.domain.space import Space

__all__ = ["REPLAY_LINK_TTL", "RecordMode", "ReplayAction", "record", "replay"]

RecordMode = Literal["on", "off", "optout", "optin"]
ReplayAction = Literal["play", "delete"]
REPLAY_LINK_TTL = 24 * 3600  # a day to open it; asking again gives a new one
NO_MENTIONS = discord.AllowedMentions.none()
_DONE = {
    "on": "Recording is on. Everyone in the Space has been told; speakers can opt out.",
    "off": "Recording is off. Turn it on again to continue the same replay.",
    "optout": "Your voice is left out of the recording of this Space.",
    "optin": "Your voice is back in the recording of this Space.",
}


async def record(interaction: discord.Interaction, mode: RecordMode) -> None:
    async def act() -> None:
        spaces = app_of(interaction.client).spaces
        space = await resolve_space(interaction)
        if mode in ("on", "off"):
            await spaces.set_recording(space.id, await actor_in(interaction), mode == "on")
        else:
            await spaces.set_recording_opt_out(space.id, interaction.user.id, mode == "optout")
        await reply(interaction, _DONE[mode])

    await guarded(interaction, act, doing="change the recording")


async def replay(interaction: discord.Interaction, action: ReplayAction) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        space = await app.spaces.latest_replay(guild_only(interaction), _stage_of(interaction))
        if action == "delete":
            await app.spaces.delete_replay(space.id, await actor_in(interaction))
            await reply(interaction, f"The replay of **{space.title}** is deleted.")
            return
        await _send_replay(interaction, space)

    await guarded(interaction, act, doing="get the replay")


def _stage_of(interaction: discord.Interaction) -> int:
    """The Stage asked about: the member's voice channel if they stand in one, else the channel typed in."""
    user = interaction.user
    if isinstance(user, discord.Member) and user.voice is not None and user.voice.channel is not None:
        return user.voice.channel.id
    return interaction.channel_id or 0


async def _send_replay(interaction: discord.Interaction, space: Space) -> None:
    """Privately: the file if Discord takes it, and a personal link to the page (signed, for this member)."""
    app = app_of(interaction.client)
    path = app.audio.replays.existing(space.id) if app.audio is not None and app.audio.replays is not None else None
    if path is None:
        await reply(interaction, f"The replay of **{space.title}** isn't on this bot's disk any more.")
        return
    page = ""
    if app.web is not None:
        link = app.web.replay_url(space, interaction.user.id, ttl_seconds=REPLAY_LINK_TTL)
        page = f"\nYour personal link to listen and seek in a browser (for 24 hours; keep it to yourself): {link}"
    limit = interaction.guild.filesize_limit if interaction.guild is not None else 10 * 1024 * 1024
    if path.stat().st_size > limit:
        await reply(interaction, f"The replay of **{space.title}** is too big to attach here.{page}")
        return
    await interaction.response.send_message(
        f"Replay of **{space.title}**.{page}",
        file=discord.File(path, filename=f"{space.id[:8]}-replay.ogg"),
        ephemeral=True,
        allowed_mentions=NO_MENTIONS,
    )
