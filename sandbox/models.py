"""The in-memory objects of the local Discord: users, guilds, channels, members, voice and stage state.

Plain dataclasses with Discord's field names; ``payloads.py`` turns them into the JSON Discord sends.
Messages are stored as their JSON payload directly, because nothing but their JSON is ever read.
"""

from __future__ import annotations

import datetime
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CHANNEL_CATEGORY",
    "CHANNEL_DM",
    "CHANNEL_STAGE",
    "CHANNEL_TEXT",
    "CHANNEL_VOICE",
    "Application",
    "Channel",
    "Guild",
    "Member",
    "Overwrite",
    "Role",
    "ScheduledEvent",
    "Snowflakes",
    "StageInstance",
    "User",
    "VoiceState",
    "iso",
    "utcnow",
]

JSON = dict[str, Any]

CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_VOICE = 2
CHANNEL_CATEGORY = 4
CHANNEL_STAGE = 13

DISCORD_EPOCH_MS = 1420070400000


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class Snowflakes:
    """Time-based ids like Discord's, so ``discord.utils.snowflake_time`` gives a sensible creation time."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last = 0

    def next(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        # Monotonic even when many ids are minted in the same millisecond.
        candidate = (millis << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
        self._last = max(candidate, self._last + 1)
        return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """An id whose guild lands on that shard (``(id >> 22) % count``): its time part moved a few ms ahead."""
        first = self.next()
        millis = first >> 22
        millis += (shard_id - millis) % shard_count
        self._last = max(self._last, (millis << 22) | (first & ((1 << 22) - 1)))
        return self._last


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None


@dataclass
class Application:
    id: int
    name: str
    token: str
    bot_user_id: int
    owner_id: int
    flags: int = 0
    # command id -> registered definition (as returned by the API, with ids filled in)
    global_commands: dict[int, JSON] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, JSON]] = field(default_factory=dict)


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None
    color: int = 0
    hoist: bool = False
    mentionable: bool = False


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    id: int
    type: int
    name: str = ""
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient_ids: list[int] = field(default_factory=list)  # DM channels only
    last_message_id: int | None = None
    bitrate: int = 64000
    user_limit: int = 0
    nsfw: bool = False


@dataclass
class Member:
    user_id: int
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    mute: bool = False
    deaf: bool = False
    joined_at: datetime.datetime = field(default_factory=utcnow)


@dataclass
class VoiceState:
    guild_id: int
    user_id: int
    channel_id: int | None
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False
    mute: bool = False
    deaf: bool = False
    suppress: bool = False
    request_to_speak_timestamp: datetime.datetime | None = None


@dataclass
class StageInstance:
    id: int
    guild_id: int
    channel_id: int
    topic: str
    privacy_level: int = 2
    scheduled_event_id: int | None = None


@dataclass
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    creator_id: int
    start: datetime.datetime
    entity_type: int  # 1 stage, 2 voice, 3 external
    channel_id: int | None = None
    description: str | None = None
    end: datetime.datetime | None = None
    privacy_level: int = 2
    status: int = 1  # 1 scheduled, 2 active, 3 completed, 4 canceled
    location: str | None = None
    image: str | None = None
    interested: list[int] = field(default_factory=list)


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    features: list[str] = field(default_factory=list)
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    stage_instances: dict[int, StageInstance] = field(default_factory=dict)  # by channel id
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)
