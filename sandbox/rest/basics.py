"""Login, gateway discovery, users and application commands."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.app_command_access import permissions_field
from sandbox.errors import bad_request, not_found
from sandbox.limits import require_valid_command, require_valid_commands
from sandbox.payloads import user_payload
from sandbox.rest.context import API_PREFIX, caller, ctx, json_response, read_body, snowflake

__all__ = ["add_routes"]

JSON = dict[str, Any]


async def application_me(request: web.Request) -> web.Response:
    app = caller(request)
    world = ctx(request).world
    return json_response(
        {
            "id": str(app.id),
            "name": app.name,
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": user_payload(world.users[app.bot_user_id]),
            "owner": user_payload(world.users[app.owner_id]),
            "verify_key": "0" * 64,
            "flags": app.flags,
            "team": None,
            "summary": "",
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": sum(app.bot_user_id in g.members for g in world.guilds.values()),
        }
    )


async def users_me(request: web.Request) -> web.Response:
    app = caller(request)
    user = ctx(request).world.users[app.bot_user_id]
    return json_response({**user_payload(user), "verified": True, "mfa_enabled": False, "email": None})


async def get_user(request: web.Request) -> web.Response:
    return json_response(user_payload(ctx(request).world.user(snowflake(request, "user_id"))))


async def gateway(request: web.Request) -> web.Response:
    return json_response({"url": "wss://gateway.discord.gg"})


async def gateway_bot(request: web.Request) -> web.Response:
    """Like Discord's: the gateway's URL, the shards it recommends, and the caller's session start limit (the
    IDENTIFYs its token has left, counted by the gateway)."""
    app = caller(request)
    limit = ctx(request).hub.session_start_limit(app.token)
    return json_response({"url": "wss://gateway.discord.gg", "shards": 1, "session_start_limit": limit})


def _commands_of(request: web.Request) -> tuple[dict[int, JSON], int | None]:
    app = caller(request)
    if snowflake(request, "app_id") != app.id:
        raise not_found("application")
    if "guild_id" not in request.match_info:
        return app.global_commands, None
    guild_id = snowflake(request, "guild_id")
    ctx(request).world.guild(guild_id)
    return app.guild_commands.setdefault(guild_id, {}), guild_id


def _register(request: web.Request, store: dict[int, JSON], guild_id: int | None, body: JSON) -> JSON:
    if not body.get("name"):
        raise bad_request(50035, "Invalid Form Body")
    kind = int(body.get("type", 1))
    # Re-registering a command keeps its id, as Discord does for an unchanged name and type.
    existing = next((c for c in store.values() if c["name"] == body["name"] and c["type"] == kind), None)
    command_id = int(existing["id"]) if existing else ctx(request).world.ids.next()
    command: JSON = {
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
        **body,
        "id": str(command_id),
        "type": kind,
        "application_id": str(caller(request).id),
        "version": str(ctx(request).world.ids.next()),
    }
    command["default_member_permissions"] = permissions_field(command["default_member_permissions"])
    if guild_id is not None:
        command["guild_id"] = str(guild_id)
    store[command_id] = command
    return command


async def bulk_overwrite(request: web.Request) -> web.Response:
    store, guild_id = _commands_of(request)
    body = await read_body(request)
    if not isinstance(body, list):
        raise bad_request(50035, "Invalid Form Body")
    require_valid_commands(body)
    kept = {}
    for definition in body:
        command = _register(request, store, guild_id, definition)
        kept[int(command["id"])] = command
    store.clear()
    store.update(kept)
    return json_response(list(store.values()))


async def list_commands(request: web.Request) -> web.Response:
    store, _ = _commands_of(request)
    return json_response(list(store.values()))


async def create_command(request: web.Request) -> web.Response:
    store, guild_id = _commands_of(request)
    body = await read_body(request)
    require_valid_command(body)
    return json_response(_register(request, store, guild_id, body), 201)


async def delete_command(request: web.Request) -> web.Response:
    store, _ = _commands_of(request)
    if store.pop(snowflake(request, "command_id"), None) is None:
        raise not_found("command")
    return web.Response(status=204)


def add_routes(router: web.UrlDispatcher) -> None:
    p = API_PREFIX
    router.add_get(p + "/oauth2/applications/@me", application_me)
    router.add_get(p + "/applications/@me", application_me)
    router.add_get(p + "/users/@me", users_me)
    router.add_get(p + "/users/{user_id:\\d+}", get_user)
    router.add_get(p + "/gateway", gateway)
    router.add_get(p + "/gateway/bot", gateway_bot)
    for base in (
        p + "/applications/{app_id}/commands",
        p + "/applications/{app_id}/guilds/{guild_id}/commands",
    ):
        router.add_put(base, bulk_overwrite)
        router.add_get(base, list_commands)
        router.add_post(base, create_command)
        router.add_delete(base + "/{command_id}", delete_command)
