"""Autocomplete for options where a member picks something that exists: their upcoming Spaces, the pinned
links of the Space they're in, the members they blocked, this server's Spaces with a transcript.

Discord gives an autocomplete three seconds and takes 25 choices with names and values of 100 characters at
most; each picker makes one or two reads and never fails loudly (no choices is the answer to any trouble).
The commands still accept typed text: a picker only suggests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime
from typing import Any

import discord
from discord import app_commands

from bot.commands import actor_in, resolve_space
from bot.context import app_of
from bot.tickets.cog import ticket_candidates
from spaces_core.domain.errors import SpacesError
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.when import time_zone

__all__ = [
    "MAX_CHOICES",
    "blocked_members",
    "link_value",
    "my_scheduled",
    "my_ticketed",
    "pinned_links",
    "transcribed",
]

log = logging.getLogger(__name__)
MAX_CHOICES = 25
MAX_NAME = 100
Choices = list[app_commands.Choice[str]]
Picker = Callable[[discord.Interaction, str], Coroutine[Any, Any, Choices]]


def _fit(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _choices(pairs: Iterable[tuple[str, str]], current: str) -> Choices:
    """The first 25 pairs (name, value) whose name contains what the member typed, case-insensitive."""
    wanted = current.strip().casefold()
    found: Choices = []
    for name, value in pairs:
        if wanted in name.casefold():
            found.append(app_commands.Choice(name=_fit(name), value=value[:MAX_NAME]))
        if len(found) == MAX_CHOICES:
            break
    return found


def _quiet(picker: Picker) -> Picker:
    async def run(interaction: discord.Interaction, current: str) -> Choices:
        try:
            return await picker(interaction, current)
        except SpacesError:  # no live Space here, schedules off...: nothing to suggest
            return []
        except Exception:
            log.exception("autocomplete %s failed", picker.__name__)
            return []

    run.__name__ = picker.__name__
    return run


async def _zone(interaction: discord.Interaction) -> str:
    prefs = await app_of(interaction.client).settings.prefs(interaction.user.id)
    return prefs.timezone or "UTC"


def _when(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(time_zone(zone)):%a %d %b %H:%M} {zone}"


def _schedule_pairs(found: list[ScheduledSpace], zone: str) -> list[tuple[str, str]]:
    """Name: the title (shortened to leave room) and the start in the member's zone; value: the title, which
    the commands match (the first Space whose title starts with it)."""
    return [(f"{_fit(s.title, 60)} · {_when(s.starts_at, zone)}", s.title) for s in found]


@_quiet
async def my_scheduled(interaction: discord.Interaction, current: str) -> Choices:
    """The member's own upcoming Spaces here (`/space cancel`, `/space reschedule`)."""
    user_id, guild_id = interaction.user.id, interaction.guild_id
    found = await app_of(interaction.client).schedules.upcoming(guild_id or 0, user_id)
    mine = sorted((s for s in found if s.host_id == user_id), key=lambda s: s.starts_at)
    return _choices(_schedule_pairs(mine, await _zone(interaction)), current)


@_quiet
async def my_ticketed(interaction: discord.Interaction, current: str) -> Choices:
    """Live and upcoming Spaces a ticket command may be about: the member's own; every one here for an admin,
    who may act on any host's sales (`/space tickets|sales|refund`)."""
    actor = await actor_in(interaction)
    found = await ticket_candidates(interaction, actor)
    shown = found if actor.is_admin else [s for s in found if s.host_id == actor.user_id]
    unique = list({s.id: s for s in shown}.values())
    return _choices(_schedule_pairs(unique, await _zone(interaction)), current)


def link_value(position: int, url: str) -> str:
    """A link's choice value: the URL itself, or `#n` (its place on the card) when it's too long for Discord."""
    return url if len(url) <= MAX_NAME else f"#{position}"


@_quiet
async def pinned_links(interaction: discord.Interaction, current: str) -> Choices:
    """The links pinned on the card of the Space this member is in (`/space unpin`)."""
    space = await resolve_space(interaction)
    return _choices(((url, link_value(n, url)) for n, url in enumerate(space.links, start=1)), current)


@_quiet
async def blocked_members(interaction: discord.Interaction, current: str) -> Choices:
    """The members on this member's block list (`/stage unblock`), by name; the value is their id."""
    blocked = await app_of(interaction.client).spaces.blocked_by(interaction.user.id)
    guild = interaction.guild
    pairs = []
    for user_id in blocked:
        member = guild.get_member(user_id) if guild is not None else None
        user = member or interaction.client.get_user(user_id)
        pairs.append((f"{user.display_name} (@{user.name})" if user else f"member {user_id}", str(user_id)))
    return _choices(pairs, current)


@_quiet
async def transcribed(interaction: discord.Interaction, current: str) -> Choices:
    """This server's Spaces with a transcript, newest first (`/space transcript`); the value is the Space's id.
    Whether the member may read one is checked by the command, not here."""
    found = await app_of(interaction.client).transcripts.transcribed(interaction.guild_id or 0)
    zone = await _zone(interaction)
    return _choices(
        ((f"{_fit(s.title, 60)} · {_when(s.started_at or s.created_at, zone)}", s.id) for s in found), current
    )
