"""The command tree as members find it: admin commands hidden from members, `/help` by role, the server's
settings in members' terms, and Confirm before `/privacy delete`."""

from __future__ import annotations

from typing import Any

from demo.world import World
from tests.e2e.conftest import configure, press

MANAGE_GUILD = 1 << 5


def registered(world: World) -> dict[str, dict[str, Any]]:
    app = next(iter(world.server.world.apps.values()))
    commands = [*app.global_commands.values(), *app.guild_commands.get(world.guild_id, {}).values()]
    return {c["name"]: c for c in commands if c.get("type", 1) == 1}


def _nodes(command: dict[str, Any]) -> list[dict[str, Any]]:
    """The command and every subcommand and option under it."""
    found = [command]
    for option in command.get("options") or []:
        found += _nodes(option)
    return found


async def test_admin_commands_are_hidden_from_members_and_the_tree_keeps_discords_limits(world: World) -> None:
    commands = registered(world)

    assert commands["server-settings"]["default_member_permissions"] == str(MANAGE_GUILD)
    for name in ("space", "stage", "cohost", "settings", "privacy", "help", "follow"):
        assert commands[name]["default_member_permissions"] is None, name  # hosts are ordinary members
    assert "spaces" not in commands  # /space upcoming now; one name for a first-time host to find
    assert {o["name"] for o in commands["settings"]["options"]} == {"notifications", "timezone"}
    assert {o["name"] for o in commands["space"]["options"]} >= {"upcoming", "start", "schedule", "replay"}
    assert {o["name"] for o in commands["stage"]["options"]} >= {"block", "unblock"}
    member_sees = world.server.visible_commands(world.guild_id, world["lee"])
    assert "server-settings" not in member_sees and {"space", "stage", "help"} <= set(member_sees)
    assert "server-settings" in world.server.visible_commands(world.guild_id, world.owner)

    assert len(commands) <= 12
    for command in commands.values():
        subcommands = [o for o in command.get("options") or [] if o["type"] in (1, 2)]
        assert len(subcommands) <= 25, command["name"]
        for node in _nodes(command):
            assert 1 <= len(node["description"]) <= 100, node["name"]

    # Hidden is not forbidden: an admin can show it to anyone in Integrations, so the bot still refuses.
    by_member = await world.slash(world.chat_id, world["lee"], "server-settings", speaker_limit=2)
    assert by_member.ephemeral and "admins" in (by_member.content or ""), by_member.content
    assert (await world.bot.bot.app.settings.policy(world.guild_id)).speaker_limit != 2


async def test_server_settings_show_channels_roles_and_not_set(world: World) -> None:
    role = world.server.add_role(world.guild_id, "Stage crew")

    saved = await world.slash(world.chat_id, world.owner, "server-settings", moderator_role=role, speaker_limit=4)

    text = saved.content or ""
    assert saved.ephemeral and "saved" in text, text
    assert f"Feed channel (Live now board, Space cards): <#{world.feed_id}>" in text
    assert "Stage category (new Stages): not set" in text
    assert f"Moderator role: <@&{role}>" in text and "Speaker limit: 4" in text
    assert "Who may host: anyone" in text
    assert str(role) not in text.replace(f"<@&{role}>", "")  # no bare ids
    assert saved.message is not None and saved.message["allowed_mentions"]["parse"] == []  # the role isn't pinged


def _embed_size(embed: dict[str, Any]) -> int:
    fields = embed.get("fields") or []
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
    )


def _help(record: Any) -> tuple[str, dict[str, str]]:
    assert record.ephemeral and len(record.embeds) == 1, record.message
    embed = record.embeds[0]
    assert _embed_size(embed) <= 6000 and len(embed["fields"]) <= 25
    assert all(len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in embed["fields"])
    fields: dict[str, str] = {}
    for field in embed["fields"]:
        fields[field["name"].removesuffix(" (more)")] = fields.get(field["name"].removesuffix(" (more)"), "") + (
            "\n" + field["value"]
        )
    return embed["description"], fields


async def test_help_shows_each_member_what_they_can_do_here(world: World) -> None:
    hosts = world.server.add_role(world.guild_id, "Hosts")
    await configure(world, host_role=hosts, speaker_limit=3)

    about, fields = _help(await world.slash(world.chat_id, world["lee"], "help"))
    assert "You're a member here." in about and "You can't host yet" in about and f"<@&{hosts}>" in about
    rules = fields["This server's rules"]
    assert "Speaker limit: 3" in rules and f"Who may host: one of the roles <@&{hosts}>" in rules
    assert "Server admins" not in fields and "Run the Stage (as host or co-host)" in fields
    assert "`/space upcoming`" in fields["Listen, follow, your data"]
    assert "`/space tickets`" not in fields["Host a Space"]  # tickets are off on this bot
    assert (
        "`/space start`" in fields["Host a Space"]
        and "`/stage unblock`" in fields["Run the Stage (as host or co-host)"]
    )
    assert "`/server-settings`" not in "".join(v for k, v in fields.items() if k != "This server's rules")

    about, fields = _help(await world.slash(world.chat_id, world["mo"], "help"))
    assert "You're a moderator here." in about and "Run the Stage (you moderate every Space here)" in fields

    about, fields = _help(await world.slash(world.chat_id, world.owner, "help"))
    assert "You're an admin here." in about and "✅ You can host" in about
    assert "`/server-settings`" in fields["Server admins"]


async def test_privacy_delete_asks_first_and_only_the_member_can_confirm(world: World) -> None:
    follows = world.bot.bot.app.follows
    await world.slash(world.chat_id, world["lee"], "follow", host=world["hana"])
    again: Any = await world.slash(world.chat_id, world["lee"], "follow", host=world["hana"])
    assert again.ephemeral and again.content == f"You already follow <@{world['hana']}>."

    asked = await world.slash(world.chat_id, world["lee"], "privacy delete")
    assert asked.ephemeral and "can't be undone" in (asked.content or "")
    cancelled = await press(world, world["lee"], asked, "Cancel")
    assert cancelled.message is not None and "nothing was deleted" in cancelled.message["content"]
    assert cancelled.message["components"] == []  # no second chance to press an old question
    assert await follows.following(world["lee"]) == [world["hana"]]

    asked = await world.slash(world.chat_id, world["lee"], "privacy delete")
    refused = await press(world, world["hana"], asked, "Confirm")
    assert refused.ephemeral and "Only the member who asked" in (refused.content or "")
    assert await follows.following(world["lee"]) == [world["hana"]]

    done = await press(world, world["lee"], asked, "Confirm")
    assert done.message is not None and "Done" in done.message["content"], done.message
    assert await follows.following(world["lee"]) == []
