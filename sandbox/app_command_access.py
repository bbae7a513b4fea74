"""What Discord does around application commands besides running them: which commands a member is shown
(``default_member_permissions``) and autocomplete (interaction type 4, answered with callback type 8).

Kept apart from the command registry and the interaction callback so each rule reads as Discord states it.
"""

from __future__ import annotations

from typing import Any

from sandbox.errors import bad_request
from sandbox.models import Application, Guild
from sandbox.permissions import ALL, base_permissions

__all__ = ["MAX_CHOICES", "autocomplete_choices", "permissions_field", "visible_commands"]

JSON = dict[str, Any]
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_CHOICE_VALUE = 100


def permissions_field(value: Any) -> str | None:
    """default_member_permissions as Discord stores and returns it: a string of the bit set (bots may send an
    integer), or null for everyone."""
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise bad_request(50035, "Invalid Form Body: default_member_permissions must be a permission bit set")
    return str(int(value))


def _shown(command: JSON, permissions: int) -> bool:
    """Discord's rule: no default_member_permissions shows the command to everyone; "0" to administrators only;
    otherwise to members holding every permission in the set (administrators hold them all)."""
    required = command.get("default_member_permissions")
    if required is None:
        return True
    needed = int(required)
    if needed == 0:
        return permissions == ALL
    return permissions & needed == needed


def visible_commands(app: Application, guild: Guild, user_id: int) -> list[str]:
    """Names of the top-level slash commands ``user_id`` sees in ``guild``'s command picker, sorted.

    Server admins can override this per role or member in Integrations settings; the sandbox has no such
    overrides, so this is the default Discord applies."""
    permissions = base_permissions(guild, user_id)
    commands = [*app.global_commands.values(), *app.guild_commands.get(guild.id, {}).values()]
    return sorted(c["name"] for c in commands if c.get("type", 1) == 1 and _shown(c, permissions))


def autocomplete_choices(data: JSON) -> list[JSON]:
    """The choices of an autocomplete result, refused like Discord refuses them (400) when out of bounds."""
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise bad_request(50035, "Invalid Form Body: data.choices is required")
    if len(choices) > MAX_CHOICES:
        raise bad_request(50035, f"Invalid Form Body: data.choices must have at most {MAX_CHOICES} items")
    for index, choice in enumerate(choices):
        name, value = str(choice.get("name") or ""), choice.get("value")
        if not 1 <= len(name) <= MAX_CHOICE_NAME:
            raise bad_request(50035, f"Invalid Form Body: data.choices.{index}.name must be 1-100 characters")
        if value is None or (isinstance(value, str) and len(value) > MAX_CHOICE_VALUE):
            raise bad_request(50035, f"Invalid Form Body: data.choices.{index}.value must be 1-100 characters")
    return list(choices)
