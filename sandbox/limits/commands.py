"""The limits Discord puts on application commands (create and bulk overwrite).

https://discord.com/developers/docs/interactions/application-commands — names match
``^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`` (lowercase where a letter has a lowercase form) for slash
commands and their options; descriptions 1–100; at most 25 options, subcommands and choices; required options
before optional ones; subcommands inside groups only, one level deep; names unique among siblings; at most 100
slash, 5 user and 5 message commands; 8,000 characters in a command's names, descriptions and choices.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sandbox.limits.form import Form

__all__ = ["check_command", "check_commands", "require_valid_command", "require_valid_commands", "valid_name"]

JSON = dict[str, Any]

CHAT_INPUT = 1
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
NAME, DESCRIPTION, OPTIONS, CHOICE_TEXT = 32, 100, 25, 100
COMMAND_SIZE = 8000
MAX_COMMANDS = {1: 100, 2: 5, 3: 5}  # per type, in one scope (global or one guild)
# \p{sc=Deva} and \p{sc=Thai}: whole script blocks, so their combining vowel signs count too.
_SCRIPTS = ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x0E00, 0x0E7F))


def _name_char(char: str) -> bool:
    if char in "-_" or unicodedata.category(char)[0] in "LN":
        return True
    return any(low <= ord(char) <= high for low, high in _SCRIPTS)


def valid_name(name: str, *, chat_input: bool = True) -> bool:
    if not 1 <= len(name) <= NAME:
        return False
    if not chat_input:  # user and message commands: any characters, spaces and capitals allowed
        return True
    return all(_name_char(c) for c in name) and name == name.lower()


def _check_name(form: Form, value: object, *, chat_input: bool = True) -> None:
    if not form.required(value) or not isinstance(value, str):
        return
    if not 1 <= len(value) <= NAME:
        form.length_between(value, 1, NAME)
    elif not valid_name(value, chat_input=chat_input):
        form.error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _check_description(form: Form, value: object) -> None:
    if form.required(value) and isinstance(value, str):
        form.length_between(value, 1, DESCRIPTION)


def _check_choices(form: Form, choices: list[Any]) -> None:
    form.max_length(choices, OPTIONS)
    for index, choice in enumerate(choices):
        where = form.at(index)
        if where.at("name").required(choice.get("name")):
            where.at("name").length_between(str(choice["name"]), 1, CHOICE_TEXT)
        if isinstance(choice.get("value"), str):
            where.at("value").length_between(choice["value"], 1, CHOICE_TEXT)


def _check_options(form: Form, options: list[Any], depth: int) -> None:
    """``depth`` 0: the command's own options; 1: inside a group (or a subcommand); 2: inside a subcommand."""
    form.max_length(options, OPTIONS)
    names: set[str] = set()
    seen_optional = False
    for index, option in enumerate(options):
        where = form.at(index)
        kind = option.get("type")
        _check_name(where.at("name"), option.get("name"))
        if option.get("name") in names:
            where.at("name").error("APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option name already exists")
        names.add(str(option.get("name")))
        _check_description(where.at("description"), option.get("description"))
        nested = kind in (SUB_COMMAND, SUB_COMMAND_GROUP)
        if nested and (depth >= 2 or (depth == 1 and kind == SUB_COMMAND_GROUP)):
            where.at("type").error("APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Sub-command nested too deeply")
        if nested:
            _check_options(where.at("options"), option.get("options") or [], 2 if kind == SUB_COMMAND else 1)
            continue
        if option.get("required"):
            if seen_optional:
                where.error(
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        if option.get("choices"):
            _check_choices(where.at("choices"), option["choices"])


def _size(definition: JSON) -> int:
    """Characters Discord counts toward a command's 8,000: names, descriptions, choice names and values."""
    total = len(str(definition.get("name") or "")) + len(str(definition.get("description") or ""))
    for choice in definition.get("choices") or []:
        total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total + sum(_size(o) for o in definition.get("options") or [])


def check_command(form: Form, definition: object) -> None:
    """Record in ``form`` (placed at the command) every limit one command definition breaks."""
    if not isinstance(definition, dict):
        form.error("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    kind = int(definition.get("type") or CHAT_INPUT)
    _check_name(form.at("name"), definition.get("name"), chat_input=kind == CHAT_INPUT)
    if kind == CHAT_INPUT:
        _check_description(form.at("description"), definition.get("description"))
        _check_options(form.at("options"), definition.get("options") or [], 0)
    elif definition.get("description") or definition.get("options"):
        form.at("description").error("APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", "Must be empty")
    if _size(definition) > COMMAND_SIZE:
        form.error("APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({COMMAND_SIZE})")


def check_commands(form: Form, definitions: list[Any]) -> None:
    """A bulk overwrite: each command, names unique per type, and no more commands of a type than allowed."""
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for index, definition in enumerate(definitions):
        check_command(form.at(index), definition)
        if not isinstance(definition, dict):
            continue
        key = (int(definition.get("type") or CHAT_INPUT), str(definition.get("name")))
        if key in seen:
            form.at(index, "name").error(
                "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
            )
        seen.add(key)
        counts[key[0]] = counts.get(key[0], 0) + 1
    for kind, count in counts.items():
        if count > MAX_COMMANDS.get(kind, 100):
            form.error("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_COMMANDS[kind]} or fewer in length.")


def require_valid_commands(definitions: list[Any]) -> None:
    """Refuse a bulk overwrite as Discord would (400, 50035, errors keyed by the command's index)."""
    form = Form()
    check_commands(form, definitions)
    form.raise_if_any()


def require_valid_command(definition: object) -> None:
    """Refuse one command (create or edit) as Discord would: errors keyed by field, not by index."""
    form = Form()
    check_command(form, definition)
    form.raise_if_any()
