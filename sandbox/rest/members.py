"""Members and voice states: server mute/deafen, moves and disconnects, Stage speaker changes."""

from __future__ import annotations

import datetime
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, bad_request, not_found
from sandbox.models import CHANNEL_STAGE, CHANNEL_VOICE, Guild, VoiceState, utcnow
from sandbox.permissions import (
    CONNECT,
    DEAFEN_MEMBERS,
    MANAGE_NICKNAMES,
    MANAGE_ROLES,
    MOVE_MEMBERS,
    MUTE_MEMBERS,
    REQUEST_TO_SPEAK,
)
from sandbox.rest.context import (
    API_PREFIX,
    caller,
    ctx,
    json_response,
    read_body,
    require_channel_permission,
    require_guild_permission,
    snowflake,
)
from sandbox.rest.roles import require_role_changes_allowed

__all__ = ["add_routes"]

JSON = dict[str, Any]


def _guild(request: web.Request) -> Guild:
    guild = ctx(request).world.guild(snowflake(request, "guild_id"))
    if caller(request).bot_user_id not in guild.members:
        raise not_found("guild")
    return guild


async def get_member(request: web.Request) -> web.Response:
    guild = _guild(request)
    return json_response(ctx(request).world.member_json(guild, snowflake(request, "user_id")))


async def list_members(request: web.Request) -> web.Response:
    guild = _guild(request)
    after = int(request.query.get("after", 0))
    limit = min(int(request.query.get("limit", 1)), 1000)
    ids = sorted(u for u in guild.members if u > after)[:limit]
    world = ctx(request).world
    return json_response([world.member_json(guild, u) for u in ids])


def _move(request: web.Request, guild: Guild, state: VoiceState | None, target: int | None) -> bool:
    """Move a member to another voice channel, or disconnect them (target None). Returns True if changed."""
    if state is None or state.channel_id is None:
        raise bad_request(40032, "Target user is not connected to voice.")
    source = guild.channels[state.channel_id]
    require_channel_permission(request, guild, source, MOVE_MEMBERS)
    if target is None:
        state.channel_id = None
        return True
    channel = guild.channels.get(target)
    if channel is None or channel.type not in (CHANNEL_VOICE, CHANNEL_STAGE):
        raise not_found("channel")
    require_channel_permission(request, guild, channel, MOVE_MEMBERS | CONNECT)
    changed = state.channel_id != target
    state.channel_id = target
    if changed:
        state.suppress = channel.type == CHANNEL_STAGE
        state.request_to_speak_timestamp = None
    return changed


async def edit_member(request: web.Request) -> web.Response:
    guild = _guild(request)
    world = ctx(request).world
    user_id = snowflake(request, "user_id")
    member = guild.members.get(user_id)
    if member is None:
        raise not_found("member")
    body = await read_body(request)
    state = guild.voice_states.get(user_id)
    voice_changed = False
    if "nick" in body:
        require_guild_permission(request, guild, MANAGE_NICKNAMES)
        member.nick = body["nick"] or None
    if "roles" in body:
        require_guild_permission(request, guild, MANAGE_ROLES)
        wanted = [int(r) for r in body["roles"] or [] if int(r) in guild.roles]
        require_role_changes_allowed(request, guild, member.roles, wanted)
        member.roles = wanted
    for key, bit in (("mute", MUTE_MEMBERS), ("deaf", DEAFEN_MEMBERS)):
        if key in body and body[key] is not None:
            require_guild_permission(request, guild, bit)
            setattr(member, key, bool(body[key]))
            if state is not None:
                setattr(state, key, bool(body[key]))
                voice_changed = True
    if "channel_id" in body:
        target = int(body["channel_id"]) if body["channel_id"] else None
        voice_changed = _move(request, guild, state, target) or voice_changed
    world.announce_member(guild, user_id)
    if voice_changed and state is not None:
        world.announce_voice_state(guild, state)
    return json_response(world.member_json(guild, user_id))


def _stage_state(guild: Guild, user_id: int, channel_id: Any) -> VoiceState:
    state = guild.voice_states.get(user_id)
    if state is None or state.channel_id is None:
        raise not_found("voice_state")
    if channel_id is not None and int(channel_id) != state.channel_id:
        raise bad_request(50035, "Invalid Form Body")
    if guild.channels[state.channel_id].type != CHANNEL_STAGE:
        raise bad_request(50024, "Cannot execute action on this channel type")
    return state


def _timestamp(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        raise bad_request(50035, "Invalid Form Body") from None


async def edit_my_voice_state(request: web.Request) -> web.Response:
    """The bot's own Stage status: become a speaker (needs Mute Members) or request to speak."""
    guild = _guild(request)
    world = ctx(request).world
    body = await read_body(request)
    state = _stage_state(guild, caller(request).bot_user_id, body.get("channel_id"))
    channel = guild.channels[state.channel_id or 0]
    if "suppress" in body and body["suppress"] is not None:
        if not body["suppress"]:
            require_channel_permission(request, guild, channel, MUTE_MEMBERS)
        state.suppress = bool(body["suppress"])
    if "request_to_speak_timestamp" in body:
        if body["request_to_speak_timestamp"] is not None:  # clearing one's own request is always allowed
            require_channel_permission(request, guild, channel, REQUEST_TO_SPEAK)
        state.request_to_speak_timestamp = _timestamp(body["request_to_speak_timestamp"])
    world.announce_voice_state(guild, state)
    return web.Response(status=204)


async def edit_user_voice_state(request: web.Request) -> web.Response:
    """Another member's Stage status; only ``suppress`` can change, with Mute Members."""
    guild = _guild(request)
    world = ctx(request).world
    body = await read_body(request)
    user_id = snowflake(request, "user_id")
    if user_id not in guild.members:
        raise not_found("member")
    state = _stage_state(guild, user_id, body.get("channel_id"))
    require_channel_permission(request, guild, guild.channels[state.channel_id or 0], MUTE_MEMBERS)
    if "suppress" not in body or body["suppress"] is None:
        raise ApiError(400, 50035, "Invalid Form Body")
    state.suppress = bool(body["suppress"])
    # As documented for this route: unsuppressing a non-bot user stamps request_to_speak_timestamp with
    # "now" (bots are left alone); suppressing clears it.
    if state.suppress:
        state.request_to_speak_timestamp = None
    elif not world.users[user_id].bot:
        state.request_to_speak_timestamp = utcnow()
    world.announce_voice_state(guild, state)
    return web.Response(status=204)


def add_routes(router: web.UrlDispatcher) -> None:
    p = API_PREFIX + "/guilds/{guild_id}"
    router.add_get(p + "/members", list_members)
    router.add_get(p + "/members/{user_id:\\d+}", get_member)
    router.add_patch(p + "/members/{user_id:\\d+}", edit_member)
    router.add_patch(p + "/voice-states/@me", edit_my_voice_state)
    router.add_patch(p + "/voice-states/{user_id:\\d+}", edit_user_voice_state)
