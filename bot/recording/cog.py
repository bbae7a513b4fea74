"""Recording as members use it, and the bot's side of keeping it going.

`/space record on|off|optout|optin` and `/space replay [delete]`: the bodies behind the `/space` subcommands.
`RecordingCog`: after every (re)start, the live Spaces' audio comes back (the bot rejoins their Stages and a
recording that was on goes on in a new part), and the replay retention sweep runs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import discord
from discord.ext import commands

from bot.access import may_hear
from bot.audio.replays import ReplayRetention
from bot.commands import actor_in, guild_only, resolve_space
from bot.confirm import ask_to_confirm
from bot.context import app_of
from bot.replies import guarded, reply
from spaces_core.domain import recording as recording_rules
from spaces_core.domain.errors import Conflict, NotAllowed
from spaces_core.domain.space import Space

__all__ = ["REPLAY_LINK_TTL", "RecordMode", "RecordingCog", "ReplayAction", "record", "replay"]

log = logging.getLogger(__name__)
RecordMode = Literal["on", "off", "optout", "optin"]
ReplayAction = Literal["play", "delete"]
REPLAY_LINK_TTL = 24 * 3600  # a day to open it; asking again gives a new one
CLOSING_WAIT = 10.0  # seconds a replay asked for right after the end waits for its last part to close
NO_MENTIONS = discord.AllowedMentions.none()
_DONE = {
    "on": "Recording is on. Everyone in the Space has been told; speakers can opt out.",
    "off": "Recording is off. Turn it on again to continue the same replay.",
    "optout": "Your voice is left out of the recording of this Space.",
    "optin": "Your voice is back in the recording of this Space.",
}


async def record(interaction: discord.Interaction, mode: RecordMode) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        spaces = app.spaces
        space = await resolve_space(interaction)
        why_off = app.server_audio.why_off(space) if mode == "on" else None
        if why_off is not None:  # the bot does not hear this Space: "Recording is on" would be a lie
            await reply(interaction, f"Recording can't start. {why_off}")
            return
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
            await _ask_to_delete(interaction, space)
            return
        member = interaction.user if isinstance(interaction.user, discord.Member) else None
        if not await may_hear(interaction.client, space, interaction.user.id, member):
            # A ticketed Space's replay is for those who could hear it live: its holders, hosts and moderators.
            raise NotAllowed("This Space's replay is for the members who could hear it live (its ticket holders).")
        await _send_replay(interaction, space)

    await guarded(interaction, act, doing="get the replay")


async def _ask_to_delete(interaction: discord.Interaction, space: Space) -> None:
    """Only its host is asked (anyone else is told at once); the service checks again on Confirm."""
    if not recording_rules.may_delete_replay(space, interaction.user.id):
        raise NotAllowed("Only the host can delete the replay.")

    async def delete(pressed: discord.Interaction) -> str:
        await app_of(pressed.client).spaces.delete_replay(space.id, await actor_in(pressed))
        return f"The replay of **{space.title}** is deleted."

    await ask_to_confirm(
        interaction,
        f"Delete the replay of **{space.title}** for everyone? Its file and links go; this can't be undone.",
        delete,
        doing="delete the replay",
    )


def _stage_of(interaction: discord.Interaction) -> int:
    """The Stage asked about: the member's voice channel if they stand in one, else the channel typed in."""
    user = interaction.user
    if isinstance(user, discord.Member) and user.voice is not None and user.voice.channel is not None:
        return user.voice.channel.id
    return interaction.channel_id or 0


async def _replay_file(interaction: discord.Interaction, space: Space) -> Path | None:
    """The replay's file: joined now when the Space ended moments ago (its last part still closing) or while the bot
    restarted. Either takes a second or two, so the answer is deferred past Discord's three-second limit first."""
    replays = app_of(interaction.client).audio.replays
    if replays is None:
        return None
    path = replays.existing(space.id)
    if path is not None:
        return path
    if space.id in replays.writing or replays.parts(space.id):
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not await replays.writing.closed(space.id, within=CLOSING_WAIT):
            raise Conflict("The replay of this Space is still being written; ask again in a moment.")
        path = await replays.finish(space.id)
    return path


async def _send_replay(interaction: discord.Interaction, space: Space) -> None:
    """Privately: the file if Discord takes it, and a personal link to the page (signed, for this member)."""
    app = app_of(interaction.client)
    replays = app.audio.replays
    path = await _replay_file(interaction, space) if replays is not None else None
    if path is None:
        await reply(interaction, f"The replay of **{space.title}** isn't on this bot's disk any more.")
        return
    link = app.web.replay_url(space, interaction.user.id, ttl_seconds=REPLAY_LINK_TTL)
    page = (
        ""
        if not link
        else f"\nYour personal link to listen and seek in a browser (for 24 hours; keep it to yourself): {link}"
    )
    limit = interaction.guild.filesize_limit if interaction.guild is not None else 10 * 1024 * 1024
    if path.stat().st_size > limit:
        await reply(interaction, f"The replay of **{space.title}** is too big to attach here.{page}")
        return
    content, file = f"Replay of **{space.title}**.{page}", discord.File(path, filename=f"{space.id[:8]}-replay.ogg")
    if interaction.response.is_done():
        await interaction.edit_original_response(content=content, attachments=[file], allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(content, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS)


class RecordingCog(commands.Cog):
    """No commands: the live Spaces' audio and recordings after a (re)start, and the retention sweep."""

    def __init__(self, client: discord.Client, retention: ReplayRetention | None) -> None:
        self.client, self.retention = client, retention

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        await self.resume_live_audio()
        if self.retention is not None:
            self.retention.start()  # its first pass also joins the parts of Spaces that ended meanwhile

    async def cog_unload(self) -> None:
        if self.retention is not None:
            await self.retention.stop()

    async def resume_live_audio(self) -> None:
        """Rejoin, on every server with live Spaces, the Stage of the one that has the server's audio (the same
        Space as before the restart: bot/audio/server_audio.py), and record where it's on."""
        app = app_of(self.client)
        for guild_id in sorted({space.guild_id for space in await app.spaces.all_live()}):
            try:
                await app.server_audio.settle(guild_id)
            except Exception:  # one server's trouble must not keep the others silent
                log.exception("could not resume the audio of the live Spaces of server %s", guild_id)
