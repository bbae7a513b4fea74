"""Messages in guild channels and DMs, and opening DM channels."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, bad_request, missing_permissions
from sandbox.limits import require_valid_message
from sandbox.limits.form import Form
from sandbox.models import CHANNEL_DM, CHANNEL_VOICE, Channel
from sandbox.payloads import channel_payload
from sandbox.permissions import MANAGE_MESSAGES, READ_MESSAGE_HISTORY, SEND_MESSAGES, VIEW_CHANNEL
from sandbox.rest.context import (
    API_PREFIX,
    caller,
    ctx,
    json_response,
    read_body,
    require_channel_permission,
    snowflake,
)

__all__ = ["add_routes"]

JSON = dict[str, Any]


def _readable_channel(request: web.Request, bits: int = VIEW_CHANNEL) -> Channel:
    """The channel in the URL, checked like Discord: a DM the bot is in, or a guild channel it can see."""
    world = ctx(request).world
    channel = world.channel(snowflake(request, "channel_id"))
    bot_id = caller(request).bot_user_id
    if channel.type == CHANNEL_DM:
        if bot_id not in channel.recipient_ids:
            raise missing_permissions()
        return channel
    guild, _ = world.guild_channel(channel.id)
    if bot_id not in guild.members:
        raise ApiError(403, 50001, "Missing Access")
    require_channel_permission(request, guild, channel, bits)
    return channel


async def create_message(request: web.Request) -> web.Response:
    channel = _readable_channel(request, VIEW_CHANNEL | SEND_MESSAGES)
    world = ctx(request).world
    bot_id = caller(request).bot_user_id
    if channel.type == CHANNEL_DM and world.dm_peer(channel, bot_id) in world.dm_refused:
        raise ApiError(403, 50007, "Cannot send messages to this user")
    if channel.type not in (0, CHANNEL_DM, CHANNEL_VOICE, 13):
        raise bad_request(50008, "Cannot send messages in a non-text channel")
    body = await read_body(request)
    require_valid_message(body)
    if not (body.get("content") or body.get("embeds") or body.get("components") or body.get("attachments")):
        raise bad_request(50006, "Cannot send an empty message")
    extra: JSON = {}
    reference = _reply_to(request, channel, body.get("message_reference"))
    if reference is not None:
        extra["message_reference"] = reference
    message = world.new_message(channel, world.users[bot_id], body, **extra)
    return json_response(world.post_message(channel, message))


def _reply_to(request: web.Request, channel: Channel, reference: Any) -> JSON | None:
    """A reply's reference as Discord stores it (ids as strings), checked as Discord checks it: the replier needs
    Read Message History, and the message must exist in this channel unless ``fail_if_not_exists`` is false (then
    the message is sent as no reply at all)."""
    if not isinstance(reference, dict) or not reference:
        return None
    if channel.type != CHANNEL_DM:
        require_channel_permission(
            request, ctx(request).world.guild_channel(channel.id)[0], channel, READ_MESSAGE_HISTORY
        )
    in_channel = str(reference.get("channel_id", channel.id)) == str(channel.id)
    message_id = str(reference.get("message_id", ""))
    known = in_channel and message_id.isdigit() and int(message_id) in ctx(request).world.messages.get(channel.id, {})
    if not known:
        if reference.get("fail_if_not_exists") is False:
            return None
        form = Form()
        form.at("message_reference").error("MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
        form.raise_if_any()
    stored: JSON = {"type": 0, "message_id": message_id, "channel_id": str(channel.id)}
    if channel.guild_id is not None:
        stored["guild_id"] = str(channel.guild_id)
    return stored


async def get_message(request: web.Request) -> web.Response:
    channel = _readable_channel(request, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
    return json_response(ctx(request).world.message(channel.id, snowflake(request, "message_id")))


async def history(request: web.Request) -> web.Response:
    channel = _readable_channel(request, VIEW_CHANNEL | READ_MESSAGE_HISTORY)
    messages = sorted(ctx(request).world.messages.get(channel.id, {}).values(), key=lambda m: -int(m["id"]))
    query = request.query
    if "before" in query:
        messages = [m for m in messages if int(m["id"]) < int(query["before"])]
    limit = min(int(query.get("limit", 50)), 100)
    if "after" in query:
        # The ``limit`` messages right after ``after``, still newest first (discord.py relies on that order).
        newer = [m for m in reversed(messages) if int(m["id"]) > int(query["after"])]
        return json_response(list(reversed(newer[:limit])))
    return json_response(messages[:limit])


async def edit_message(request: web.Request) -> web.Response:
    channel = _readable_channel(request)
    world = ctx(request).world
    message = world.message(channel.id, snowflake(request, "message_id"))
    if int(message["author"]["id"]) != caller(request).bot_user_id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    body = await read_body(request)
    require_valid_message(body)
    return json_response(world.edit_message(channel, message, body))


async def delete_message(request: web.Request) -> web.Response:
    channel = _readable_channel(request)
    world = ctx(request).world
    message = world.message(channel.id, snowflake(request, "message_id"))
    if int(message["author"]["id"]) != caller(request).bot_user_id and channel.guild_id is not None:
        guild, _ = world.guild_channel(channel.id)
        require_channel_permission(request, guild, channel, MANAGE_MESSAGES)
    world.delete_message(channel, int(message["id"]))
    return web.Response(status=204)


async def set_pin(request: web.Request) -> web.Response:
    channel = _readable_channel(request)
    world = ctx(request).world
    message = world.message(channel.id, snowflake(request, "message_id"))
    message["pinned"] = request.method == "PUT"
    world.emit("MESSAGE_UPDATE", message, guild_id=channel.guild_id)
    return web.Response(status=204)


async def open_dm(request: web.Request) -> web.Response:
    body = await read_body(request)
    world = ctx(request).world
    try:
        recipient = world.user(int(body.get("recipient_id", 0)))
    except (TypeError, ValueError):
        raise bad_request(50035, "Invalid Form Body") from None
    channel = world.dm_channel(caller(request).bot_user_id, recipient.id)
    return json_response(channel_payload(channel, world.users))


def add_routes(router: web.UrlDispatcher) -> None:
    base = API_PREFIX + "/channels/{channel_id}/messages"
    router.add_post(base, create_message)
    router.add_get(base, history)
    router.add_get(base + "/{message_id}", get_message)
    router.add_patch(base + "/{message_id}", edit_message)
    router.add_delete(base + "/{message_id}", delete_message)
    # Discord's current pin routes (discord.py 2.7 uses these) and the older ones.
    router.add_put(base + "/pins/{message_id}", set_pin)
    router.add_delete(base + "/pins/{message_id}", set_pin)
    router.add_put(API_PREFIX + "/channels/{channel_id}/pins/{message_id}", set_pin)
    router.add_delete(API_PREFIX + "/channels/{channel_id}/pins/{message_id}", set_pin)
    router.add_post(API_PREFIX + "/users/@me/channels", open_dm)
