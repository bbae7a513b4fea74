"""Roles: create, edit and delete a guild's roles, and give or take one member's role.

Discord's rules, kept because a bot that works here must work there:
- every route needs Manage Roles;
- the role hierarchy: a bot may edit, delete, give or take only roles below its own highest role (the server
  owner is above everything), and never a managed role (a bot's or an integration's) nor @everyone;
- a role may not be given permissions its creator lacks itself (unless the creator is an administrator);
- a new role is created at position 1, just above @everyone, pushing the others up.
Each change is announced on the gateway: GUILD_ROLE_CREATE / UPDATE / DELETE, GUILD_MEMBER_UPDATE.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, missing_permissions, not_found
from sandbox.models import Guild, Role
from sandbox.payloads import role_payload
from sandbox.permissions import ALL, MANAGE_ROLES, base_permissions, top_role_position
from sandbox.rest.context import API_PREFIX, caller, ctx, json_response, read_body, require_guild_permission, snowflake

__all__ = ["add_routes"]

JSON = dict[str, Any]
NEW_ROLE_POSITION = 1


def _guild(request: web.Request) -> Guild:
    guild = ctx(request).world.guild(snowflake(request, "guild_id"))
    if caller(request).bot_user_id not in guild.members:
        raise not_found("guild")
    require_guild_permission(request, guild, MANAGE_ROLES)
    return guild


def _role(guild: Guild, role_id: int) -> Role:
    role = guild.roles.get(role_id)
    if role is None:
        raise not_found("role")
    return role


def _require_below_caller(request: web.Request, guild: Guild, role: Role) -> None:
    """The hierarchy: only roles strictly below the caller's highest role (Discord answers 403 50013)."""
    if role.position >= top_role_position(guild, caller(request).bot_user_id):
        raise missing_permissions()


def _require_assignable(request: web.Request, guild: Guild, role: Role) -> None:
    if role.managed or role.id == guild.id:
        # Discord: "Cannot ... a managed role" / @everyone belongs to everyone implicitly.
        raise ApiError(403, 50013, "Missing Permissions")
    _require_below_caller(request, guild, role)


def _permissions(request: web.Request, guild: Guild, raw: Any, default: int) -> int:
    value = default if raw is None else int(raw)
    granted = base_permissions(guild, caller(request).bot_user_id)
    if granted != ALL and value & ~granted:
        raise missing_permissions()  # cannot hand out what one does not have
    return value


def _announce_role(request: web.Request, guild: Guild, role: Role, event: str) -> None:
    ctx(request).world.emit(event, {"guild_id": str(guild.id), "role": role_payload(role)}, guild_id=guild.id)


async def create_role(request: web.Request) -> web.Response:
    guild = _guild(request)
    body = await read_body(request)
    world = ctx(request).world
    everyone = guild.roles[guild.id]
    role = Role(
        id=world.ids.next(),
        guild_id=guild.id,
        name=str(body.get("name") or "new role")[:100],
        permissions=_permissions(request, guild, body.get("permissions"), everyone.permissions),
        position=NEW_ROLE_POSITION,
        color=int(body.get("color") or 0),
        hoist=bool(body.get("hoist", False)),
        mentionable=bool(body.get("mentionable", False)),
    )
    shifted = [r for r in guild.roles.values() if r.id != guild.id and r.position >= NEW_ROLE_POSITION]
    for other in shifted:
        other.position += 1
    guild.roles[role.id] = role
    _announce_role(request, guild, role, "GUILD_ROLE_CREATE")
    for other in shifted:
        _announce_role(request, guild, other, "GUILD_ROLE_UPDATE")
    return json_response(role_payload(role))


async def edit_role(request: web.Request) -> web.Response:
    guild = _guild(request)
    role = _role(guild, snowflake(request, "role_id"))
    _require_below_caller(request, guild, role)
    body = await read_body(request)
    if "name" in body and body["name"] is not None:
        if role.id == guild.id:
            raise ApiError(400, 50035, "Invalid Form Body")  # @everyone keeps its name
        role.name = str(body["name"])[:100]
    if "permissions" in body and body["permissions"] is not None:
        role.permissions = _permissions(request, guild, body["permissions"], role.permissions)
    for key in ("color", "hoist", "mentionable"):
        if key in body and body[key] is not None:
            setattr(role, key, type(getattr(role, key))(body[key]))
    _announce_role(request, guild, role, "GUILD_ROLE_UPDATE")
    return json_response(role_payload(role))


async def delete_role(request: web.Request) -> web.Response:
    guild = _guild(request)
    role = _role(guild, snowflake(request, "role_id"))
    if role.id == guild.id:
        raise ApiError(400, 50028, "Invalid Role")
    _require_assignable(request, guild, role)
    del guild.roles[role.id]
    for member in guild.members.values():  # Discord drops it from its members without one update each
        if role.id in member.roles:
            member.roles.remove(role.id)
    for other in guild.roles.values():
        if other.id != guild.id and other.position > role.position:
            other.position -= 1
    data = {"guild_id": str(guild.id), "role_id": str(role.id)}
    ctx(request).world.emit("GUILD_ROLE_DELETE", data, guild_id=guild.id)
    return web.Response(status=204)


async def add_member_role(request: web.Request) -> web.Response:
    guild = _guild(request)
    member = guild.members.get(snowflake(request, "user_id"))
    if member is None:
        raise not_found("member")
    role = _role(guild, snowflake(request, "role_id"))
    _require_assignable(request, guild, role)
    if role.id not in member.roles:
        member.roles.append(role.id)
        ctx(request).world.announce_member(guild, member.user_id)
    return web.Response(status=204)


async def remove_member_role(request: web.Request) -> web.Response:
    guild = _guild(request)
    member = guild.members.get(snowflake(request, "user_id"))
    if member is None:
        raise not_found("member")
    role = _role(guild, snowflake(request, "role_id"))
    _require_assignable(request, guild, role)
    if role.id in member.roles:
        member.roles.remove(role.id)
        ctx(request).world.announce_member(guild, member.user_id)
    return web.Response(status=204)


def require_role_changes_allowed(request: web.Request, guild: Guild, before: list[int], after: list[int]) -> None:
    """For PATCH member ``roles``: every role given or taken must be assignable by the caller."""
    for role_id in set(before) ^ set(after):
        role = guild.roles.get(role_id)
        if role is not None:
            _require_assignable(request, guild, role)


def add_routes(router: web.UrlDispatcher) -> None:
    p = API_PREFIX + "/guilds/{guild_id}"
    router.add_post(p + "/roles", create_role)
    router.add_patch(p + "/roles/{role_id:\\d+}", edit_role)
    router.add_delete(p + "/roles/{role_id:\\d+}", delete_role)
    router.add_put(p + "/members/{user_id:\\d+}/roles/{role_id:\\d+}", add_member_role)
    router.add_delete(p + "/members/{user_id:\\d+}/roles/{role_id:\\d+}", remove_member_role)
