"""Guilds, channels, permission overwrites and roles."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.errors import bad_request, missing_permissions, not_found
from sandbox.models import (
    CHANNEL_CATEGORY,
    CHANNEL_DM,
    CHANNEL_STAGE,
    CHANNEL_VOICE,
    Channel,
    Guild,
    Overwrite,
)
from sandbox.payloads import channel_payload, guild_payload, role_payload
from sandbox.permissions import MANAGE_CHANNELS, MANAGE_ROLES, base_permissions, channel_permissions
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

__all__ = ["add_routes"]

JSON = dict[str, Any]
_CHANNEL_TYPES = (0, CHANNEL_VOICE, CHANNEL_CATEGORY, CHANNEL_STAGE)


def _member_guild(request: web.Request) -> Guild:
    guild = ctx(request).world.guild(snowflake(request, "guild_id"))
    if caller(request).bot_user_id not in guild.members:
        raise not_found("guild")
    return guild


def _overwrites(request: web.Request, guild: Guild, raw: list[JSON], granted: int) -> dict[int, Overwrite]:
    """Parse overwrites; Discord lets a bot allow/deny only permissions it has itself."""
    result = {}
    for item in raw:
        overwrite = Overwrite(int(item["id"]), int(item.get("type", 0)), int(item.get("allow") or 0))
        overwrite.deny = int(item.get("deny") or 0)
        if (overwrite.allow | overwrite.deny) & ~granted:
            raise missing_permissions()
        result[overwrite.id] = overwrite
    return result


async def get_guild(request: web.Request) -> web.Response:
    guild = _member_guild(request)
    data = guild_payload(guild)
    if request.query.get("with_counts") == "true":
        data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
    return json_response(data)


async def list_channels(request: web.Request) -> web.Response:
    return json_response([channel_payload(c) for c in _member_guild(request).channels.values()])


async def create_channel(request: web.Request) -> web.Response:
    guild = _member_guild(request)
    require_guild_permission(request, guild, MANAGE_CHANNELS)
    body = await read_body(request)
    kind = int(body.get("type", 0))
    if kind not in _CHANNEL_TYPES or not body.get("name"):
        raise bad_request(50035, "Invalid Form Body")
    if kind == CHANNEL_STAGE and "COMMUNITY" not in guild.features:
        raise bad_request(50024, "Cannot execute action on this channel type")
    world = ctx(request).world
    granted = base_permissions(guild, caller(request).bot_user_id)
    channel = Channel(
        id=world.ids.next(),
        type=kind,
        name=str(body["name"]),
        guild_id=guild.id,
        position=int(body.get("position") or len(guild.channels)),
        parent_id=int(body["parent_id"]) if body.get("parent_id") else None,
        topic=body.get("topic"),
        overwrites=_overwrites(request, guild, body.get("permission_overwrites") or [], granted),
        user_limit=int(body.get("user_limit") or 0),
        bitrate=int(body.get("bitrate") or 64000),
    )
    if channel.parent_id is not None and channel.parent_id not in guild.channels:
        raise not_found("channel")
    guild.channels[channel.id] = channel
    world.channels[channel.id] = channel
    world.messages[channel.id] = {}
    world.emit("CHANNEL_CREATE", channel_payload(channel), guild_id=guild.id)
    return json_response(channel_payload(channel), 201)


async def get_channel(request: web.Request) -> web.Response:
    world = ctx(request).world
    channel = world.channel(snowflake(request, "channel_id"))
    if channel.type == CHANNEL_DM:
        if caller(request).bot_user_id not in channel.recipient_ids:
            raise missing_permissions()
        return json_response(channel_payload(channel, world.users))
    guild, _ = world.guild_channel(channel.id)
    if not channel_permissions(guild, channel, caller(request).bot_user_id):
        raise missing_permissions()
    return json_response(channel_payload(channel))


async def edit_channel(request: web.Request) -> web.Response:
    world = ctx(request).world
    guild, channel = world.guild_channel(snowflake(request, "channel_id"))
    require_channel_permission(request, guild, channel, MANAGE_CHANNELS)
    body = await read_body(request)
    if "permission_overwrites" in body:
        require_channel_permission(request, guild, channel, MANAGE_ROLES)
        granted = channel_permissions(guild, channel, caller(request).bot_user_id)
        channel.overwrites = _overwrites(request, guild, body["permission_overwrites"] or [], granted)
    for key in ("name", "topic", "position", "user_limit", "bitrate", "nsfw"):
        if key in body and body[key] is not None:
            setattr(channel, key, body[key])
    if "parent_id" in body:
        channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
    world.emit("CHANNEL_UPDATE", channel_payload(channel), guild_id=guild.id)
    return json_response(channel_payload(channel))


async def delete_channel(request: web.Request) -> web.Response:
    world = ctx(request).world
    guild, channel = world.guild_channel(snowflake(request, "channel_id"))
    require_channel_permission(request, guild, channel, MANAGE_CHANNELS)
    del guild.channels[channel.id]
    del world.channels[channel.id]
    guild.stage_instances.pop(channel.id, None)
    world.emit("CHANNEL_DELETE", channel_payload(channel), guild_id=guild.id)
    return json_response(channel_payload(channel))


async def put_overwrite(request: web.Request) -> web.Response:
    world = ctx(request).world
    guild, channel = world.guild_channel(snowflake(request, "channel_id"))
    require_channel_permission(request, guild, channel, MANAGE_ROLES)
    body = await read_body(request)
    granted = channel_permissions(guild, channel, caller(request).bot_user_id)
    target = {"id": request.match_info["target_id"], **body}
    channel.overwrites.update(_overwrites(request, guild, [target], granted))
    world.emit("CHANNEL_UPDATE", channel_payload(channel), guild_id=guild.id)
    return web.Response(status=204)


async def delete_overwrite(request: web.Request) -> web.Response:
    world = ctx(request).world
    guild, channel = world.guild_channel(snowflake(request, "channel_id"))
    require_channel_permission(request, guild, channel, MANAGE_ROLES)
    channel.overwrites.pop(snowflake(request, "target_id"), None)
    world.emit("CHANNEL_UPDATE", channel_payload(channel), guild_id=guild.id)
    return web.Response(status=204)


async def list_roles(request: web.Request) -> web.Response:
    return json_response([role_payload(r) for r in _member_guild(request).roles.values()])


def add_routes(router: web.UrlDispatcher) -> None:
    p = API_PREFIX
    router.add_get(p + "/guilds/{guild_id}", get_guild)
    router.add_get(p + "/guilds/{guild_id}/channels", list_channels)
    router.add_post(p + "/guilds/{guild_id}/channels", create_channel)
    router.add_get(p + "/guilds/{guild_id}/roles", list_roles)
    router.add_get(p + "/channels/{channel_id}", get_channel)
    router.add_patch(p + "/channels/{channel_id}", edit_channel)
    router.add_delete(p + "/channels/{channel_id}", delete_channel)
    router.add_put(p + "/channels/{channel_id}/permissions/{target_id}", put_overwrite)
    router.add_delete(p + "/channels/{channel_id}/permissions/{target_id}", delete_overwrite)
