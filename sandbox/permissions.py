"""Discord's permission arithmetic: base permissions from roles, then channel overwrites.

Follows https://discord.com/developers/docs/topics/permissions#permission-overwrites so that what
members and the bot may do here is what they could do on Discord.
"""

from __future__ import annotations

from sandbox.models import CHANNEL_CATEGORY, Channel, Guild

__all__ = [
    "ADMINISTRATOR",
    "ALL",
    "CONNECT",
    "CREATE_EVENTS",
    "DEFAULT_EVERYONE",
    "MANAGE_CHANNELS",
    "MANAGE_EVENTS",
    "MANAGE_NICKNAMES",
    "MANAGE_ROLES",
    "MOVE_MEMBERS",
    "MUTE_MEMBERS",
    "READ_MESSAGE_HISTORY",
    "REQUEST_TO_SPEAK",
    "SEND_MESSAGES",
    "STAGE_MODERATOR",
    "VIEW_CHANNEL",
    "base_permissions",
    "channel_permissions",
    "top_role_position",
]

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
MUTE_MEMBERS = 1 << 22
DEAFEN_MEMBERS = 1 << 23
MOVE_MEMBERS = 1 << 24
USE_VAD = 1 << 25
CHANGE_NICKNAME = 1 << 26
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
REQUEST_TO_SPEAK = 1 << 32
MANAGE_EVENTS = 1 << 33
CREATE_EVENTS = 1 << 44
ALL = (1 << 53) - 1

# Roughly what a new server's @everyone gets: chat, join voice, ask to speak — no moderation.
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | USE_VAD
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | REQUEST_TO_SPEAK
)

# Discord's definition of a Stage moderator (needed to open/close a Stage and to invite speakers).
STAGE_MODERATOR = MANAGE_CHANNELS | MUTE_MEMBERS | MOVE_MEMBERS


def base_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions: @everyone OR the member's roles; owner and administrators get everything."""
    if user_id == guild.owner_id:
        return ALL
    everyone = guild.roles.get(guild.id)
    perms = everyone.permissions if everyone else 0
    member = guild.members.get(user_id)
    if member is None:
        return 0
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    return ALL if perms & ADMINISTRATOR else perms


def top_role_position(guild: Guild, user_id: int) -> float:
    """The position of the member's highest role (the hierarchy rule); the owner is above every role."""
    if user_id == guild.owner_id:
        return float("inf")
    member = guild.members.get(user_id)
    positions = [guild.roles[r].position for r in (member.roles if member else []) if r in guild.roles]
    return max(positions, default=0)


def _apply_overwrites(guild: Guild, channel: Channel, user_id: int, perms: int) -> int:
    overwrites = channel.overwrites
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    member = guild.members.get(user_id)
    role_ids = member.roles if member else []
    allow = deny = 0
    for role_id in role_ids:
        overwrite = overwrites.get(role_id)
        if overwrite is not None and overwrite.type == 0:
            allow |= overwrite.allow
            deny |= overwrite.deny
    perms = (perms & ~deny) | allow
    own = overwrites.get(user_id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    return perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Permissions in one channel, with overwrites (a channel without its own overwrites is synced to its
    category on Discord, which we model by falling back to the category's overwrites)."""
    perms = base_permissions(guild, user_id)
    if perms == ALL:
        return ALL
    source = channel
    if not channel.overwrites and channel.parent_id is not None:
        parent = guild.channels.get(channel.parent_id)
        if parent is not None and parent.type == CHANNEL_CATEGORY:
            source = parent
    perms = _apply_overwrites(guild, source, user_id, perms)
    # Without View Channel nothing else in the channel applies.
    return perms if perms & VIEW_CHANNEL else 0
