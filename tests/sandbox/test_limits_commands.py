"""Application command registration: a bulk overwrite Discord refuses is refused here, keyed by command index.

Sent through discord.py's own HTTP method for a guild bulk overwrite (what ``CommandTree.sync`` calls), with
hand-built payloads because discord.py's command classes already refuse some bad names on the client side.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.sandbox.conftest import Starter, Town

JSON = dict[str, Any]
INVALID_NAME = {"_errors": [{"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"}]}


def command(name: str, description: str = "Does a thing", **extra: Any) -> JSON:
    return {"name": name, "description": description, "type": 1, **extra}


def option(name: str, required: bool = False, **extra: Any) -> JSON:
    return {"name": name, "description": "An option", "type": 3, "required": required, **extra}


def between(low: int, high: int) -> JSON:
    return {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": f"Must be between {low} and {high} in length."}]}


async def _overwrite(town: Town, start_client: Starter, payload: list[JSON]) -> Any:
    client = await start_client(town.server, town.bot.token)
    return await client.http.bulk_upsert_guild_commands(town.bot.application_id, town.guild_id, payload)


async def _refused(town: Town, start_client: Starter, payload: list[JSON]) -> JSON:
    with pytest.raises(discord.HTTPException) as refused:
        await _overwrite(town, start_client, payload)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    errors = refused.value._errors
    assert errors is not None
    return errors


async def test_names_must_match_discords_pattern(town: Town, start_client: Starter) -> None:
    payload = [
        command("space"),
        command("Space"),  # capitals in a slash command
        command("space start"),  # a space
        command("s" * 33),
        command("ok", options=[option("Title")]),
    ]

    errors = await _refused(town, start_client, payload)

    assert "0" not in errors
    assert errors["1"] == {"name": INVALID_NAME}
    assert errors["2"] == {"name": INVALID_NAME}
    assert errors["3"] == {"name": between(1, 32)}
    assert errors["4"] == {"options": {"0": {"name": INVALID_NAME}}}


async def test_descriptions_options_and_choices(town: Town, start_client: Starter) -> None:
    choices = [{"name": f"c{n}", "value": f"v{n}"} for n in range(26)]
    payload = [
        command("empty", description=""),
        command("long", description="d" * 101),
        command("many", options=[option(f"o{n}") for n in range(26)]),
        command("order", options=[option("first"), option("second", required=True)]),
        command("pick", options=[option("colour", choices=choices)]),
        command("twice", options=[option("same"), option("same")]),
    ]

    errors = await _refused(town, start_client, payload)

    assert errors["0"] == {
        "description": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}
    }
    assert errors["1"] == {"description": between(1, 100)}
    too_many = [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}]
    assert errors["2"] == {"options": {"_errors": too_many}}
    order = errors["3"]["options"]["1"]["_errors"][0]
    assert order == {
        "code": "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        "message": "Required options must be placed before non-required options",
    }
    assert errors["4"] == {"options": {"0": {"choices": {"_errors": too_many}}}}
    assert list(errors["5"]["options"]["1"]) == ["name"]


async def test_a_refused_overwrite_changes_nothing(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    app, guild = town.bot.application_id, town.guild_id
    await client.http.bulk_upsert_guild_commands(app, guild, [command("space")])

    with pytest.raises(discord.HTTPException):
        await client.http.bulk_upsert_guild_commands(app, guild, [command("other"), command("Bad")])
    listed = await client.http.get_guild_commands(app, guild)

    assert [c["name"] for c in listed] == ["space"]


async def test_valid_commands_pass(town: Town, start_client: Starter) -> None:
    sub = {"name": "start", "description": "Start", "type": 1, "options": [option("title", True), option("topic")]}
    group = {"name": "admin", "description": "Admin", "type": 2, "options": [sub]}
    payload = [
        command("space", options=[sub, group]),
        command("नमस्ते"),  # Devanagari, with its vowel signs
        command("สวัสดี"),  # Thai
        command("s-_9" + "x" * 28, options=[option(f"o{n}") for n in range(25)]),
        {"name": "Report Message", "type": 3},  # context menus may use capitals and spaces
    ]

    registered = await _overwrite(town, start_client, payload)

    assert [c["name"] for c in registered] == [c["name"] for c in payload]
