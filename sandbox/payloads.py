"""JSON payloads in Discord's shapes (API v10), built from the in-memory models."""

from __future__ import annotations

from typing import Any

from sandbox.models import (
    CHANNEL_DM,
    CHANNEL_STAGE,
    CHANNEL_VOICE,
    Channel,
    Guild,
    Member,
    Role,
    ScheduledEvent,
    StageInstance,
    User,
    VoiceState,
    iso,
)

__all__ = [
    "channel_payload",
    "event_payload",
    "guild_create_payload",
    "guild_payload",
    "member_payload",
    "role_payload",
    "stage_payload",
    "user_payload",
    "voice_state_payload",
]

JSON = dict[str, Any]


def user_payload(user: User) -> JSON:
    return {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": None,
        "bot": user.bot,
        "public_flags": 0,
        "flags": 0,
    }


def member_payload(member: Member, user: User, *, permissions: int | None = None) -> JSON:
    data: JSON = {
        "user": user_payload(user),
        "nick": member.nick,
        "avatar": None,
        "roles": [str(r) for r in member.roles],
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": member.deaf,
        "mute": member.mute,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role_payload(role: Role) -> JSON:
    data: JSON = {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }
    if role.bot_id is not None:
        data["tags"] = {"bot_id": str(role.bot_id)}
    return data


def channel_payload(channel: Channel, users: dict[int, User] | None = None) -> JSON:
    if channel.type == CHANNEL_DM:
        recipients = [user_payload(users[u]) for u in channel.recipient_ids if users and u in users]
        return {
            "id": str(channel.id),
            "type": CHANNEL_DM,
            "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
            "recipients": recipients,
        }
    data: JSON = {
        "id": str(channel.id),
        "type": channel.type,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "position": channel.position,
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "nsfw": channel.nsfw,
        "permission_overwrites": [
            {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
            for o in channel.overwrites.values()
        ],
        "flags": 0,
        "rate_limit_per_user": 0,
        "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
    }
    if channel.type in (CHANNEL_VOICE, CHANNEL_STAGE):
        data.update(bitrate=channel.bitrate, user_limit=channel.user_limit, rtc_region=None, video_quality_mode=1)
    else:
        data["topic"] = channel.topic
    return data


def voice_state_payload(state: VoiceState, member: JSON | None = None) -> JSON:
    data: JSON = {
        "guild_id": str(state.guild_id),
        "channel_id": str(state.channel_id) if state.channel_id else None,
        "user_id": str(state.user_id),
        "session_id": state.session_id,
        "deaf": state.deaf,
        "mute": state.mute,
        "self_deaf": state.self_deaf,
        "self_mute": state.self_mute,
        "self_video": False,
        "self_stream": False,
        "suppress": state.suppress,
        "request_to_speak_timestamp": iso(state.request_to_speak_timestamp),
    }
    if member is not None:
        data["member"] = member
    return data


def stage_payload(stage: StageInstance) -> JSON:
    return {
        "id": str(stage.id),
        "guild_id": str(stage.guild_id),
        "channel_id": str(stage.channel_id),
        "topic": stage.topic,
        "privacy_level": stage.privacy_level,
        "discoverable_disabled": True,
        "guild_scheduled_event_id": str(stage.scheduled_event_id) if stage.scheduled_event_id else None,
    }


def event_payload(event: ScheduledEvent, creator: User | None) -> JSON:
    data: JSON = {
        "id": str(event.id),
        "guild_id": str(event.guild_id),
        "channel_id": str(event.channel_id) if event.channel_id else None,
        "creator_id": str(event.creator_id),
        "name": event.name,
        "description": event.description,
        "scheduled_start_time": iso(event.start),
        "scheduled_end_time": iso(event.end),
        "privacy_level": event.privacy_level,
        "status": event.status,
        "entity_type": event.entity_type,
        "entity_id": None,
        "entity_metadata": {"location": event.location} if event.location else None,
        "user_count": len(event.interested),
        "image": event.image,
        "recurrence_rule": None,
    }
    if creator is not None:
        data["creator"] = user_payload(creator)
    return data


def guild_payload(guild: Guild) -> JSON:
    """The guild object as GET /guilds/{id} returns it (no members/channels)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": list(guild.features),
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
    }


def guild_create_payload(guild: Guild, users: dict[int, User]) -> JSON:
    """GUILD_CREATE: the guild with everything a bot caches at start-up."""
    data = guild_payload(guild)
    members = [member_payload(m, users[m.user_id]) for m in guild.members.values()]
    data.update(
        unavailable=False,
        large=False,
        joined_at=None,
        member_count=len(members),
        members=members,
        channels=[channel_payload(c) for c in guild.channels.values()],
        threads=[],
        presences=[],
        voice_states=[voice_state_payload(v) for v in guild.voice_states.values() if v.channel_id],
        stage_instances=[stage_payload(s) for s in guild.stage_instances.values()],
        guild_scheduled_events=[event_payload(e, users.get(e.creator_id)) for e in guild.scheduled_events.values()],
        soundboard_sounds=[],
    )
    return data
