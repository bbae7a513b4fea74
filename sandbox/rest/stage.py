"""Stage instances and guild scheduled events."""

from __future__ import annotations

import datetime
from typing import Any

from aiohttp import web

from sandbox.errors import bad_request, missing_permissions, not_found
from sandbox.limits.events import require_valid_event
from sandbox.models import CHANNEL_STAGE, CHANNEL_VOICE, Guild, ScheduledEvent, StageInstance
from sandbox.payloads import event_payload, stage_payload, user_payload
from sandbox.permissions import (
    CREATE_EVENTS,
    MANAGE_EVENTS,
    STAGE_MODERATOR,
    base_permissions,
    channel_permissions,
)
from sandbox.rest.context import (
    API_PREFIX,
    caller,
    ctx,
    json_response,
    read_body,
    require_channel_permission,
    snowflake,
)
from sandbox.state import World

__all__ = ["add_routes"]

JSON = dict[str, Any]
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4


def _stage_channel(request: web.Request, channel_id: int) -> Guild:
    world = ctx(request).world
    guild, channel = world.guild_channel(channel_id)
    if channel.type != CHANNEL_STAGE:
        raise bad_request(50024, "Cannot execute action on this channel type")
    # Discord's Stage moderator: Manage Channels + Mute Members + Move Members in the Stage.
    require_channel_permission(request, guild, channel, STAGE_MODERATOR)
    return guild


def _stage(request: web.Request) -> tuple[Guild, StageInstance]:
    channel_id = snowflake(request, "channel_id")
    guild, _ = ctx(request).world.guild_channel(channel_id)
    stage = guild.stage_instances.get(channel_id)
    if stage is None:
        raise not_found("stage_instance")
    return guild, stage


async def create_stage(request: web.Request) -> web.Response:
    body = await read_body(request)
    world = ctx(request).world
    channel_id = int(body.get("channel_id") or 0)
    guild = _stage_channel(request, channel_id)
    topic = str(body.get("topic") or "")
    if not 1 <= len(topic) <= 120:
        raise bad_request(50035, "Invalid Form Body")
    if channel_id in guild.stage_instances:
        raise bad_request(150006, "A stage instance already exists for this channel")
    event_id = int(body["guild_scheduled_event_id"]) if body.get("guild_scheduled_event_id") else None
    stage = StageInstance(world.ids.next(), guild.id, channel_id, topic, int(body.get("privacy_level") or 2))
    stage.scheduled_event_id = event_id
    guild.stage_instances[channel_id] = stage
    world.emit("STAGE_INSTANCE_CREATE", stage_payload(stage), guild_id=guild.id)
    return json_response(stage_payload(stage))


async def get_stage(request: web.Request) -> web.Response:
    return json_response(stage_payload(_stage(request)[1]))


async def edit_stage(request: web.Request) -> web.Response:
    guild, stage = _stage(request)
    _stage_channel(request, stage.channel_id)
    body = await read_body(request)
    if body.get("topic"):
        stage.topic = str(body["topic"])
    if body.get("privacy_level"):
        stage.privacy_level = int(body["privacy_level"])
    ctx(request).world.emit("STAGE_INSTANCE_UPDATE", stage_payload(stage), guild_id=guild.id)
    return json_response(stage_payload(stage))


async def delete_stage(request: web.Request) -> web.Response:
    guild, stage = _stage(request)
    _stage_channel(request, stage.channel_id)
    world = ctx(request).world
    del guild.stage_instances[stage.channel_id]
    world.emit("STAGE_INSTANCE_DELETE", stage_payload(stage), guild_id=guild.id)
    event = guild.scheduled_events.get(stage.scheduled_event_id or 0)
    if event is not None and event.status == ACTIVE:  # Discord ends the linked event with the Stage
        _set_event(world, event, status=COMPLETED)
    return web.Response(status=204)


# -- scheduled events ----------------------------------------------------------------------------------------


def _guild(request: web.Request) -> Guild:
    guild = ctx(request).world.guild(snowflake(request, "guild_id"))
    if caller(request).bot_user_id not in guild.members:
        raise not_found("guild")
    return guild


def _event(request: web.Request) -> tuple[Guild, ScheduledEvent]:
    guild = _guild(request)
    event = guild.scheduled_events.get(snowflake(request, "event_id"))
    if event is None:
        raise not_found("scheduled_event")
    return guild, event


def _require_event_permission(request: web.Request, guild: Guild, channel_id: int | None, create: bool) -> None:
    bits = MANAGE_EVENTS | CREATE_EVENTS if create else MANAGE_EVENTS
    channel = guild.channels.get(channel_id or 0)
    user_id = caller(request).bot_user_id
    perms = channel_permissions(guild, channel, user_id) if channel else base_permissions(guild, user_id)
    if not perms & bits:
        raise missing_permissions()


def _time(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        raise bad_request(50035, "Invalid Form Body") from None


def _set_event(world: World, event: ScheduledEvent, **changes: Any) -> None:
    for key, value in changes.items():
        setattr(event, key, value)
    world.emit(
        "GUILD_SCHEDULED_EVENT_UPDATE",
        event_payload(event, world.users.get(event.creator_id)),
        guild_id=event.guild_id,
    )


def _check_entity(guild: Guild, event: ScheduledEvent) -> None:
    if event.entity_type in (1, 2):
        channel = guild.channels.get(event.channel_id or 0)
        wanted = CHANNEL_STAGE if event.entity_type == 1 else CHANNEL_VOICE
        if channel is None or channel.type != wanted:
            raise bad_request(50035, "Invalid Form Body")
    elif not event.location or event.end is None:
        raise bad_request(50035, "Invalid Form Body")


async def list_events(request: web.Request) -> web.Response:
    guild = _guild(request)
    users = ctx(request).world.users
    return json_response([event_payload(e, users.get(e.creator_id)) for e in guild.scheduled_events.values()])


async def get_event(request: web.Request) -> web.Response:
    _, event = _event(request)
    return json_response(event_payload(event, ctx(request).world.users.get(event.creator_id)))


async def create_event(request: web.Request) -> web.Response:
    guild = _guild(request)
    world = ctx(request).world
    body = await read_body(request)
    start = _time(body.get("scheduled_start_time"))
    if not body.get("name") or start is None:
        raise bad_request(50035, "Invalid Form Body")
    require_valid_event(body, start, creating=True)
    event = ScheduledEvent(
        id=world.ids.next(),
        guild_id=guild.id,
        name=str(body["name"]),
        creator_id=caller(request).bot_user_id,
        start=start,
        entity_type=int(body.get("entity_type") or 1),
        channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
        description=body.get("description"),
        end=_time(body.get("scheduled_end_time")),
        privacy_level=int(body.get("privacy_level") or 2),
        location=(body.get("entity_metadata") or {}).get("location"),
        image=body.get("image"),
    )
    _check_entity(guild, event)
    _require_event_permission(request, guild, event.channel_id, create=True)
    guild.scheduled_events[event.id] = event
    payload = event_payload(event, world.users[event.creator_id])
    world.emit("GUILD_SCHEDULED_EVENT_CREATE", payload, guild_id=guild.id)
    return json_response(payload)


async def edit_event(request: web.Request) -> web.Response:
    guild, event = _event(request)
    world = ctx(request).world
    _require_event_permission(request, guild, event.channel_id, create=event.creator_id == caller(request).bot_user_id)
    body = await read_body(request)
    moved = _time(body.get("scheduled_start_time")) if event.status == SCHEDULED else None
    require_valid_event(body, moved, creating=False)
    changes: JSON = {}
    for key, attr in (("name", "name"), ("description", "description"), ("privacy_level", "privacy_level")):
        if key in body:
            changes[attr] = body[key]
    if "scheduled_start_time" in body:
        changes["start"] = _time(body["scheduled_start_time"]) or event.start
    if "scheduled_end_time" in body:
        changes["end"] = _time(body["scheduled_end_time"])
    if "channel_id" in body:
        changes["channel_id"] = int(body["channel_id"]) if body["channel_id"] else None
    if "entity_type" in body:
        changes["entity_type"] = int(body["entity_type"])
    if "entity_metadata" in body:
        changes["location"] = (body["entity_metadata"] or {}).get("location")
    if "status" in body:
        status = int(body["status"])
        allowed = {1: (ACTIVE, CANCELED), ACTIVE: (COMPLETED,)}.get(event.status, ())
        if status != event.status and status not in allowed:
            raise bad_request(180000, "Cannot update event status")
        changes["status"] = status
    _set_event(world, event, **changes)
    return json_response(event_payload(event, world.users.get(event.creator_id)))


async def delete_event(request: web.Request) -> web.Response:
    guild, event = _event(request)
    world = ctx(request).world
    _require_event_permission(request, guild, event.channel_id, create=event.creator_id == caller(request).bot_user_id)
    del guild.scheduled_events[event.id]
    payload = event_payload(event, world.users.get(event.creator_id))
    world.emit("GUILD_SCHEDULED_EVENT_DELETE", payload, guild_id=guild.id)
    return web.Response(status=204)


async def event_users(request: web.Request) -> web.Response:
    guild, event = _event(request)
    world = ctx(request).world
    ids = sorted(event.interested)
    if "after" in request.query:
        ids = [u for u in ids if u > int(request.query["after"])]
    if "before" in request.query:
        ids = [u for u in ids if u < int(request.query["before"])]
    ids = ids[: min(int(request.query.get("limit", 100)), 100)]
    with_member = request.query.get("with_member") in ("true", "True", "1")
    result = []
    for user_id in ids:
        item: JSON = {"guild_scheduled_event_id": str(event.id), "user": user_payload(world.users[user_id])}
        if with_member and user_id in guild.members:
            member = world.member_json(guild, user_id)
            member.pop("user")
            item["member"] = member
        result.append(item)
    return json_response(result)


def add_routes(router: web.UrlDispatcher) -> None:
    p = API_PREFIX
    router.add_post(p + "/stage-instances", create_stage)
    router.add_get(p + "/stage-instances/{channel_id}", get_stage)
    router.add_patch(p + "/stage-instances/{channel_id}", edit_stage)
    router.add_delete(p + "/stage-instances/{channel_id}", delete_stage)
    events = p + "/guilds/{guild_id}/scheduled-events"
    router.add_get(events, list_events)
    router.add_post(events, create_event)
    router.add_get(events + "/{event_id}", get_event)
    router.add_patch(events + "/{event_id}", edit_event)
    router.add_delete(events + "/{event_id}", delete_event)
    router.add_get(events + "/{event_id}/users", event_users)
