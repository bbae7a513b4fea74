"""INTERACTION_CREATE payloads as Discord builds them when a member uses a command, a component or a modal.

Options are typed from the command definition the bot registered (so a test writes ``title="AMA"`` and
the payload carries the right option type), and users/members/channels/roles are resolved like Discord does.
"""

from __future__ import annotations

from typing import Any

from sandbox.models import Application, Channel, Guild
from sandbox.payloads import channel_payload, role_payload, user_payload
from sandbox.permissions import base_permissions, channel_permissions
from sandbox.state import World

__all__ = ["command_data", "find_component", "interaction_payload", "modal_submit_components"]

JSON = dict[str, Any]
SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


def _find_command(app: Application, guild_id: int | None, name: str) -> tuple[JSON, bool]:
    if guild_id is not None:
        for command in app.guild_commands.get(guild_id, {}).values():
            if command["name"] == name and command.get("type", 1) == 1:
                return command, True
    for command in app.global_commands.values():
        if command["name"] == name and command.get("type", 1) == 1:
            return command, False
    raise LookupError(f"no registered slash command named {name!r} (did the bot sync its command tree?)")


def _resolve(world: World, guild: Guild | None, kind: int, value: Any, resolved: JSON) -> str:
    """Record a user/channel/role in ``resolved`` and return its id as the option value."""
    target = int(value)
    if kind == MENTIONABLE:
        kind = ROLE if guild is not None and target in guild.roles else USER
    if kind == USER:
        resolved.setdefault("users", {})[str(target)] = user_payload(world.user(target))
        if guild is not None and target in guild.members:
            member = world.member_json(guild, target)
            member.pop("user")
            member["permissions"] = str(base_permissions(guild, target))
            resolved.setdefault("members", {})[str(target)] = member
    elif kind == CHANNEL:
        channel = world.channel(target)
        data = channel_payload(channel)
        data["permissions"] = str(channel_permissions(guild, channel, target) if guild else 0)
        resolved.setdefault("channels", {})[str(target)] = data
    elif kind == ROLE:
        if guild is None or target not in guild.roles:
            raise LookupError(f"unknown role {target}")
        resolved.setdefault("roles", {})[str(target)] = role_payload(guild.roles[target])
    return str(target)


def _option_value(world: World, guild: Guild | None, option: JSON, value: Any, resolved: JSON) -> Any:
    kind = int(option["type"])
    if kind in (USER, CHANNEL, ROLE, MENTIONABLE):
        return _resolve(world, guild, kind, value, resolved)
    converters = {STRING: str, INTEGER: int, BOOLEAN: bool, NUMBER: float}
    return converters.get(kind, lambda v: v)(value)


def command_data(
    world: World, app: Application, guild: Guild | None, path: str, values: dict[str, Any], focused: str | None = None
) -> JSON:
    """``data`` of a chat-input interaction for ``path`` ("space start") with option ``values``; with ``focused``,
    of an autocomplete interaction: what the member typed so far in that option, marked focused, required
    options may still be missing, and the option must have been registered with autocomplete."""
    parts = path.split()
    command, is_guild_command = _find_command(app, guild.id if guild else None, parts[0])
    resolved: JSON = {}
    data: JSON = {"id": command["id"], "name": parts[0], "type": 1, "options": []}
    if is_guild_command and guild is not None:
        data["guild_id"] = str(guild.id)
    node, container = command, data["options"]
    for part in parts[1:]:
        sub = next(
            (o for o in node.get("options") or [] if o["name"] == part and o["type"] in (SUBCOMMAND, GROUP)),
            None,
        )
        if sub is None:
            raise LookupError(f"{path!r}: no subcommand {part!r}")
        entry: JSON = {"name": part, "type": sub["type"], "options": []}
        container.append(entry)
        node, container = sub, entry["options"]
    known = {o["name"]: o for o in node.get("options") or [] if o["type"] not in (SUBCOMMAND, GROUP)}
    unknown = set(values) - set(known)
    if unknown:
        raise LookupError(f"{path!r} has no option(s) {sorted(unknown)}; it has {sorted(known)}")
    if focused is not None and not known.get(focused, {}).get("autocomplete"):
        raise LookupError(f"{path!r}: option {focused!r} was not registered with autocomplete")
    missing = [name for name, o in known.items() if o.get("required") and name not in values]
    if missing and focused is None:
        raise LookupError(f"{path!r} requires {missing}")
    for name, value in values.items():
        option: JSON = {"name": name, "type": known[name]["type"]}
        if name == focused:  # the partial text, unconverted: Discord sends what is in the box
            option.update(value=str(value), focused=True)
        else:
            option["value"] = _option_value(world, guild, known[name], value, resolved)
        container.append(option)
    if resolved:
        data["resolved"] = resolved
    return data


def interaction_payload(
    world: World,
    app: Application,
    *,
    interaction_id: int,
    token: str,
    kind: int,
    user_id: int,
    channel: Channel,
    data: JSON,
    message: JSON | None = None,
) -> JSON:
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(app.id),
        "type": kind,
        "data": data,
        "channel_id": str(channel.id),
        "token": token,
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if channel.guild_id is not None:
        guild = world.guilds[channel.guild_id]
        member = world.member_json(guild, user_id)
        # Discord sends the member's and the bot's permissions in this channel, overwrites included.
        member["permissions"] = str(channel_permissions(guild, channel, user_id))
        channel_data = channel_payload(channel)
        channel_data["permissions"] = member["permissions"]
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": list(guild.features)},
            guild_locale="en-US",
            member=member,
            channel=channel_data,
            app_permissions=str(channel_permissions(guild, channel, app.bot_user_id)),
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,
        )
    else:
        payload.update(
            user=user_payload(world.user(user_id)),
            channel=channel_payload(channel, world.users),
            app_permissions=str(0),
            authorizing_integration_owners={"1": str(user_id)},
            context=1,
        )
    if message is not None:
        payload["message"] = message
    return payload


def find_component(components: list[JSON], custom_id: str) -> JSON | None:
    """Depth-first search through action rows, sections, containers and labels."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        children = list(component.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(component.get(key), dict):
                children.append(component[key])
        found = find_component(children, custom_id)
        if found is not None:
            return found
    return None


def modal_submit_components(modal: JSON, values: dict[str, str]) -> list[JSON]:
    """The ``components`` of a modal submit: the modal's layout with each text input's value filled in."""
    missing = set(values)

    def fill(component: JSON) -> JSON:
        if "custom_id" in component and component.get("type") != 1:
            missing.discard(component["custom_id"])
            out: JSON = {"type": component["type"], "custom_id": component["custom_id"]}
            if component["type"] == 4:
                out["value"] = values.get(component["custom_id"], component.get("value") or "")
            else:
                chosen = values.get(component["custom_id"])
                out["values"] = [chosen] if isinstance(chosen, str) else list(chosen or [])
            return out
        out = {"type": component["type"]}
        if "id" in component:
            out["id"] = component["id"]
        if "components" in component:
            out["components"] = [fill(c) for c in component["components"]]
        if isinstance(component.get("component"), dict):
            out["component"] = fill(component["component"])
        return out

    filled = [fill(c) for c in modal.get("components") or []]
    if missing:
        raise LookupError(f"modal has no input(s) {sorted(missing)}")
    return filled
