"""Interaction callbacks (types 1, 4, 5, 6, 7, 8, 9) and the webhook routes for follow-ups and @original."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.app_command_access import autocomplete_choices
from sandbox.errors import ApiError, bad_request, not_found
from sandbox.interactions import InteractionRecord
from sandbox.limits import require_valid_message
from sandbox.models import Channel
from sandbox.payloads import user_payload
from sandbox.rest.context import API_PREFIX, ctx, json_response, read_body, snowflake
from sandbox.state import World

__all__ = ["add_routes"]

JSON = dict[str, Any]
EPHEMERAL = 64
LOADING = 128


def _metadata(world: World, record: InteractionRecord) -> JSON:
    user = user_payload(world.users[record.user_id])
    meta: JSON = {
        "id": str(record.id),
        "type": record.type,
        "user": user,
        "authorizing_integration_owners": {"0": str(record.guild_id)} if record.guild_id else {"1": user["id"]},
    }
    if record.type == 2:
        meta["name"] = record.payload["data"]["name"]
    if record.source_message_id is not None:
        meta["interacted_message_id"] = str(record.source_message_id)
    return meta


def _response_message(world: World, record: InteractionRecord, channel: Channel, body: JSON) -> JSON:
    app = world.apps[record.application_id]
    return world.new_message(
        channel,
        world.users[app.bot_user_id],
        body,
        type=20 if record.type == 2 else 0,
        webhook_id=str(app.id),
        application_id=str(app.id),
        interaction_metadata=_metadata(world, record),
    )


def _store(world: World, channel: Channel, message: JSON) -> JSON:
    if int(message.get("flags") or 0) & EPHEMERAL:
        world.ephemeral[int(message["id"])] = message  # only the member who triggered it sees it
        return message
    return world.post_message(channel, message)


def _source_message(world: World, record: InteractionRecord) -> JSON:
    if record.source_message_id is None:
        raise bad_request(40004, "Interaction has no message to update")
    return world.find_message(record.channel_id, record.source_message_id)


async def callback(request: web.Request) -> web.Response:
    context = ctx(request)
    world = context.world
    record = context.interactions.by_callback(snowflake(request, "interaction_id"), request.match_info["token"])
    if record.responded:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    body = await read_body(request)
    kind, data = int(body.get("type", 0)), body.get("data") or {}
    if "attachments" in body:  # multipart: the uploaded files, as stored, replace the metadata sent in `data`
        data["attachments"] = body["attachments"]
    if kind in (4, 7):
        require_valid_message(data, "data")
    channel = world.channel(record.channel_id)
    message: JSON | None = None
    if kind == 4:
        message = _store(world, channel, _response_message(world, record, channel, data))
        record.set_response(4, message)
    elif kind == 5:
        loading = {"content": "", "flags": (int(data.get("flags") or 0) & EPHEMERAL) | LOADING}
        message = _store(world, channel, _response_message(world, record, channel, loading))
        record.set_response(5, message)
    elif kind == 6:
        record.set_response(6)
    elif kind == 7:
        message = world.edit_message(channel, _source_message(world, record), data)
        record.set_response(7, message)
    elif kind == 9:
        if record.type == 5:
            raise bad_request(50035, "A modal cannot answer a modal submit")
        record.set_response(9, modal=data)
    elif kind == 1:
        record.set_response(1)
    elif kind == 8:
        if record.type != 4:
            raise bad_request(50035, "Only an autocomplete interaction takes autocomplete results")
        record.set_response(8, choices=autocomplete_choices(data))
    else:
        raise bad_request(50035, "Invalid interaction response type")
    if request.query.get("with_response") not in ("1", "true", "True"):
        return web.Response(status=204)
    flags = int(message.get("flags") or 0) if message else 0
    result: JSON = {
        "interaction": {
            "id": str(record.id),
            "type": record.type,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": bool(flags & LOADING),
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        },
        "resource": {"type": kind, **({"message": message} if message else {})},
    }
    return json_response(result)


def _record(request: web.Request) -> InteractionRecord:
    return ctx(request).interactions.by_webhook(snowflake(request, "app_id"), request.match_info["token"])


def _target(request: web.Request, record: InteractionRecord) -> JSON:
    world = ctx(request).world
    message_id = request.match_info["message_id"]
    if message_id == "@original":
        if record.message is not None:
            return record.message
        if record.response_type == 6:  # deferred update: @original is the component's message
            return _source_message(world, record)
        raise not_found("message")
    wanted = int(message_id)
    for followup in record.followups:
        if int(followup["id"]) == wanted:
            return followup
    if record.message is not None and int(record.message["id"]) == wanted:
        return record.message
    raise not_found("message")


async def get_webhook_message(request: web.Request) -> web.Response:
    return json_response(_target(request, _record(request)))


async def edit_webhook_message(request: web.Request) -> web.Response:
    record = _record(request)
    world = ctx(request).world
    message = _target(request, record)
    body = await read_body(request)
    require_valid_message(body)
    was_loading = int(message.get("flags") or 0) & LOADING
    if was_loading:
        message["flags"] = int(message["flags"]) & ~LOADING
    world.edit_message(world.channel(int(message["channel_id"])), message, body)
    if request.match_info["message_id"] == "@original":
        record.completed()
    return json_response(message)


async def delete_webhook_message(request: web.Request) -> web.Response:
    record = _record(request)
    world = ctx(request).world
    message = _target(request, record)
    world.ephemeral.pop(int(message["id"]), None)
    world.delete_message(world.channel(int(message["channel_id"])), int(message["id"]))
    if message is record.message:
        record.message = None
    else:
        record.followups = [f for f in record.followups if f is not message]
    return web.Response(status=204)


async def followup(request: web.Request) -> web.Response:
    record = _record(request)
    if not record.responded:
        raise not_found("webhook")
    world = ctx(request).world
    channel = world.channel(record.channel_id)
    body = await read_body(request)
    require_valid_message(body)
    if not (body.get("content") or body.get("embeds") or body.get("components") or body.get("attachments")):
        raise bad_request(50006, "Cannot send an empty message")
    message = _store(world, channel, _response_message(world, record, channel, body))
    record.followups.append(message)
    record.completed()
    if request.query.get("wait") in ("true", "1", "True"):
        return json_response(message)
    return web.Response(status=204)


def add_routes(router: web.UrlDispatcher) -> None:
    p = API_PREFIX
    router.add_post(p + "/interactions/{interaction_id}/{token}/callback", callback)
    hook = p + "/webhooks/{app_id}/{token}"
    router.add_post(hook, followup)
    router.add_get(hook + "/messages/{message_id}", get_webhook_message)
    router.add_patch(hook + "/messages/{message_id}", edit_webhook_message)
    router.add_delete(hook + "/messages/{message_id}", delete_webhook_message)
