"""`/space transcript [space]` and `/space search query`: the bodies behind the `/space` subcommands.

The transcript comes as two private attachments, `<title>.txt` (to read and paste) and `<title>.vtt` (WebVTT, for
players and editors). Search shows about ten phrases said in this server's past Spaces, each with a link to the
replay at that moment when the Space was recorded, its replay is still kept and this member may hear it.
"""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta

import discord

from bot.access import may_hear, speaker_names
from bot.commands import guild_only
from bot.context import app_of
from bot.replies import NO_MENTIONS, guarded, reply
from bot.transcripts.render import ShownHit, hits_embed, no_hits, plain
from bot.transcripts.timeline import replay_start
from spaces_core.domain import recording
from spaces_core.domain.errors import InvalidInput, NotAllowed
from spaces_core.domain.space import Space
from spaces_core.domain.transcripts import Phrase, render_txt, render_vtt, search_words
from spaces_core.services.transcripts import FoundPhrase

__all__ = ["REPLAY_LINK_TTL", "search", "transcript"]

REPLAY_LINK_TTL = 24 * 3600  # as /space replay's: a day to open it; searching again gives a new one
_UNSAFE = re.compile(r"[^\w\- ]+")
NOT_YOURS = (
    "Only members who may hear **{title}** get what was said in it: ticket holders, its host, co-hosts and moderators."
)


def _here(interaction: discord.Interaction) -> int:
    """The Stage asked about: the member's voice channel if they stand in one, else the channel typed in."""
    user = interaction.user
    if isinstance(user, discord.Member) and user.voice is not None and user.voice.channel is not None:
        return user.voice.channel.id
    return interaction.channel_id or 0


def file_stem(title: str) -> str:
    """A file name from the title: letters, digits, `-`, `_`; spaces become `-`."""
    stem = "-".join(_UNSAFE.sub("", title).split())[:60].strip("-_")
    return stem or "transcript"


def _member(interaction: discord.Interaction) -> discord.Member | None:
    return interaction.user if isinstance(interaction.user, discord.Member) else None


async def transcript(interaction: discord.Interaction, chosen: str | None) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        space = await app.transcripts.space_for(guild_only(interaction), _here(interaction), chosen)
        if not await may_hear(interaction.client, space, interaction.user.id, _member(interaction)):
            raise NotAllowed(NOT_YOURS.format(title=plain(space.title)))
        # A Space of many hours takes a moment to read and render: past Discord's three seconds to answer.
        await interaction.response.defer(ephemeral=True, thinking=True)
        phrases = await app.transcripts.of_space(space.id)
        if not phrases:
            await reply(
                interaction, f"This Space (**{plain(space.title)}**) has no transcript: captions were never on."
            )
            return
        await _send_files(interaction, space, phrases)

    await guarded(interaction, act, doing="get the transcript")


async def _send_files(interaction: discord.Interaction, space: Space, phrases: list[Phrase]) -> None:
    names = speaker_names(interaction.client, space.guild_id, (p.speaker_id for p in phrases))
    stem = file_stem(space.title)
    # Off the event loop: a long transcript renders for a good part of a second, and the Stage's mixer ticks on it.
    txt, vtt = await asyncio.gather(
        asyncio.to_thread(render_txt, phrases, names), asyncio.to_thread(render_vtt, phrases, names)
    )
    bodies = [(f"{stem}.txt", txt), (f"{stem}.vtt", vtt)]
    limit = (
        interaction.guild.filesize_limit
        if interaction.guild is not None
        else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
    )
    # Each file within the server's upload limit (the sandbox refuses a bigger one as Discord does): the .vtt,
    # longer by its cue timings, is the first to be left out of a transcript of many hours.
    fitting = [(name, body.encode()) for name, body in bodies if len(body.encode()) <= limit]
    if not fitting:
        await reply(interaction, f"The transcript of **{plain(space.title)}** is too big to attach here.")
        return
    left_out = [name for name, _ in bodies if name not in dict(fitting)]
    note = f" ({', '.join(left_out)} is too big to attach here)" if left_out else ""
    files = [discord.File(io.BytesIO(data), filename=name) for name, data in fitting]
    content = f"The transcript of **{plain(space.title)}**: {len(phrases)} phrases{note}."
    await interaction.edit_original_response(content=content, attachments=files, allowed_mentions=NO_MENTIONS)


async def search(interaction: discord.Interaction, query: str) -> None:
    async def act() -> None:
        app = app_of(interaction.client)
        guild_id = guild_only(interaction)
        if not search_words(query):
            raise InvalidInput("Type a word or two to search for, e.g. `/space search query:drum machine`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await app.transcripts.search(guild_id, query)
        shown = await _shown(interaction, found)
        if not shown:
            await reply(interaction, no_hits(query))
            return
        await reply(interaction, embed=hits_embed(query, shown))

    await guarded(interaction, act, doing="search the transcripts")


async def _shown(interaction: discord.Interaction, found: list[FoundPhrase]) -> list[ShownHit]:
    """The hits this member may read (the Spaces they may hear), with a replay link where one can be given."""
    client, member = interaction.client, _member(interaction)
    allowed: dict[str, bool] = {}
    starts: dict[str, timedelta | None] = {}
    shown: list[ShownHit] = []
    for item in found:
        space = item.space
        if space.id not in allowed:
            allowed[space.id] = await may_hear(client, space, interaction.user.id, member)
            starts[space.id] = await _replay_start(interaction, space) if allowed[space.id] else None
        if not allowed[space.id]:
            continue
        names = speaker_names(client, space.guild_id, [item.hit.speaker_id])
        began = space.started_at or space.created_at
        shown.append(
            ShownHit(
                title=space.title,
                speaker=names.get(item.hit.speaker_id, "a former member"),
                offset=item.hit.start,
                said_at=began + item.hit.start,
                text=item.hit.text,
                link=_link(interaction, space, item.hit.start, starts[space.id]),
            )
        )
    return shown


async def _replay_start(interaction: discord.Interaction, space: Space) -> timedelta | None:
    replays = app_of(interaction.client).audio.replays
    path = replays.existing(space.id) if replays is not None and recording.has_replay(space) else None
    return await replay_start(space, path) if path is not None else None


def _link(interaction: discord.Interaction, space: Space, offset: timedelta, start: timedelta | None) -> str | None:
    if start is None or offset < start:
        return None  # no replay (never recorded, deleted, expired), or said before the recording began
    url = app_of(interaction.client).web.replay_url(space, interaction.user.id, ttl_seconds=REPLAY_LINK_TTL)
    return f"{url}&t={int((offset - start).total_seconds())}" if url else None
