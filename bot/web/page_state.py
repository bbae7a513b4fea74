"""What the listen page shows of a live Space, as the small JSON its event stream sends.

The server's name and icon, the title and topics, everyone on stage with their avatar, role and speaking light,
the listeners on Discord and on the web (said separately), reactions and pinned links. Who a member is (name,
avatar) and what a server is (name, icon) come from callbacks, so this module needs no Discord client: the
composition root hands in ``who_is`` and ``place_of`` (below), tests hand in lambdas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.audio.rooms import SpaceAudio
from spaces_core.domain.space import Space

__all__ = ["Place", "PlaceOf", "Someone", "Who", "discord_url", "page_state", "place_of", "who_is"]


@dataclass(frozen=True, slots=True)
class Someone:
    name: str
    avatar: str | None = None  # an image URL (Discord's CDN), or None: the page shows initials


@dataclass(frozen=True, slots=True)
class Place:
    """A Discord server as the page names it."""

    name: str
    icon: str | None = None


Who = Callable[[int, int], Someone]  # (guild id, member id) -> who they are
PlaceOf = Callable[[int], Place | None]  # guild id -> the server, or None when the bot does not see it


def page_state(room: SpaceAudio, who: Who, place: Place | None) -> dict[str, Any]:
    space = room.space
    on_stage = list(dict.fromkeys([space.host_id, *space.cohosts, *space.speakers]))
    return {
        "title": space.title,
        "topics": list(space.topics),
        "server": None if place is None else {"name": place.name, "icon": place.icon},
        "discord": discord_url(space),
        "speakers": [_on_stage(space, user, who, user in room.speaking) for user in on_stage],
        "listeners": {"discord": len(space.present - set(on_stage)), "web": room.web_listeners},
        "reactions": dict(space.reactions),
        "links": list(space.links),
    }


def discord_url(space: Space) -> str:
    """The Space's Stage in Discord (the app opens it; the browser offers to)."""
    return f"https://discord.com/channels/{space.guild_id}/{space.channel_id}"


def _on_stage(space: Space, user: int, who: Who, speaking: bool) -> dict[str, Any]:
    person = who(space.guild_id, user)
    role = "host" if user == space.host_id else "cohost" if user in space.cohosts else "speaker"
    return {"id": str(user), "name": person.name, "avatar": person.avatar, "role": role, "speaking": speaking}


def who_is(client: discord.Client, guild_id: int, user_id: int) -> Someone:
    """A member's display name and avatar (their server avatar, their own, or Discord's default one)."""
    guild = client.get_guild(guild_id)
    member = guild.get_member(user_id) if guild is not None else None
    if member is None:
        return Someone("a speaker")
    return Someone(member.display_name, member.display_avatar.url)


def place_of(client: discord.Client, guild_id: int) -> Place | None:
    guild = client.get_guild(guild_id)
    if guild is None:
        return None
    return Place(guild.name, guild.icon.url if guild.icon is not None else None)
