"""Roles (create, edit, delete, give, take) under Discord's rules, and Connect enforced when members join voice."""

from __future__ import annotations

import asyncio

import discord
import pytest

from sandbox import DEFAULT_EVERYONE, ConnectRefused
from sandbox.permissions import CONNECT, MANAGE_ROLES, SEND_MESSAGES, VIEW_CHANNEL
from tests.sandbox.conftest import Starter, Town, populate


async def test_bot_creates_gives_takes_and_deletes_a_role(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None
    bob = guild.get_member(town.bob)
    assert bob is not None

    role = await guild.create_role(name="Ticket: Friday AMA", permissions=discord.Permissions.none())
    await town.server.wait_for(lambda: guild.get_role(role.id) is not None)
    assert role.position == 1  # just above @everyone, below the bot's own role
    assert guild.me.top_role > role

    await bob.add_roles(role, reason="ticket paid")
    await town.server.wait_for(lambda: role in bob.roles)
    assert role.id in town.server.guild(town.guild_id).members[town.bob].roles

    await role.edit(name="Ticket: Friday AMA (moved)")
    await town.server.wait_for(lambda: guild.get_role(role.id).name == "Ticket: Friday AMA (moved)")  # type: ignore[union-attr]

    await bob.remove_roles(role, reason="refunded")
    await town.server.wait_for(lambda: role not in bob.roles)

    await bob.add_roles(role)
    await town.server.wait_for(lambda: role in bob.roles)
    await role.delete(reason="Space ended")
    await town.server.wait_for(lambda: guild.get_role(role.id) is None)
    assert role.id not in town.server.guild(town.guild_id).roles
    assert role.id not in town.server.guild(town.guild_id).members[town.bob].roles
    assert "GUILD_ROLE_DELETE" in town.server.events


async def test_role_routes_need_manage_roles(server, start_client: Starter) -> None:  # type: ignore[no-untyped-def]
    town = populate(server, bot_permissions=VIEW_CHANNEL | SEND_MESSAGES)
    client = await start_client(server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None

    with pytest.raises(discord.Forbidden):
        await guild.create_role(name="nope")
    mods = next(r for r in guild.roles if r.name == "Mods")
    with pytest.raises(discord.Forbidden):
        await guild.get_member(town.bob).add_roles(mods)  # type: ignore[union-attr]
    assert mods.id not in server.guild(town.guild_id).members[town.bob].roles


async def test_role_hierarchy_and_managed_roles_are_enforced(town: Town, start_client: Starter) -> None:
    above = town.server.add_role(town.guild_id, "Staff")  # created after the bot joined: above its role
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None
    bob = guild.get_member(town.bob)
    assert bob is not None
    staff = guild.get_role(above)
    assert staff is not None
    assert staff > guild.me.top_role

    with pytest.raises(discord.Forbidden):
        await bob.add_roles(staff)
    with pytest.raises(discord.Forbidden):
        await staff.delete()
    with pytest.raises(discord.Forbidden):
        await bob.add_roles(guild.me.top_role)  # a bot's managed role is never given by hand
    with pytest.raises(discord.Forbidden):
        await bob.edit(roles=[staff])
    assert town.server.guild(town.guild_id).members[town.bob].roles == []
    assert above in town.server.guild(town.guild_id).roles


async def test_a_role_cannot_get_permissions_its_creator_lacks(server, start_client: Starter) -> None:  # type: ignore[no-untyped-def]
    town = populate(server, bot_permissions=VIEW_CHANNEL | SEND_MESSAGES | MANAGE_ROLES)
    client = await start_client(server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None

    with pytest.raises(discord.Forbidden):
        await guild.create_role(name="admins", permissions=discord.Permissions(administrator=True))
    made = await guild.create_role(name="chatters", permissions=discord.Permissions(send_messages=True))
    assert made.permissions.send_messages


async def test_members_without_connect_cannot_join_a_gated_stage(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    stage = client.get_channel(town.stage)
    assert guild is not None
    assert isinstance(stage, discord.StageChannel)
    holders = await guild.create_role(name="Ticket holders", permissions=discord.Permissions.none())
    await stage.set_permissions(guild.default_role, connect=False)
    await stage.set_permissions(holders, connect=True)
    await stage.set_permissions(guild.me, connect=True)

    with pytest.raises(ConnectRefused):
        await town.server.join_voice(town.guild_id, town.bob, town.stage)
    assert town.server.voice_state(town.guild_id, town.bob) is None
    await town.server.join_voice(town.guild_id, town.owner, town.stage)  # the owner passes every overwrite

    bob = guild.get_member(town.bob)
    assert bob is not None
    await bob.add_roles(holders)
    await town.server.join_voice(town.guild_id, town.bob, town.stage)
    assert town.server.voice_state(town.guild_id, town.bob) is not None

    await stage.set_permissions(guild.default_role, overwrite=None)
    await stage.set_permissions(holders, overwrite=None)
    await town.server.join_voice(town.guild_id, town.alice, town.stage)  # ungated again: anyone with Connect
    assert town.server.voice_state(town.guild_id, town.alice) is not None


async def test_the_bot_cannot_connect_where_it_lacks_connect(server, start_client: Starter) -> None:  # type: ignore[no-untyped-def]
    town = populate(server, bot_permissions=DEFAULT_EVERYONE)  # no Administrator: overwrites apply to it
    client = await start_client(town.server, town.bot.token)
    voice = client.get_channel(town.voice)
    assert isinstance(voice, discord.VoiceChannel)
    everyone_role = town.guild_id
    town.server.set_overwrite(town.voice, everyone_role, deny=CONNECT)
    town.server.set_overwrite(town.voice, town.bot.user_id, deny=CONNECT, member=True)
    await town.server.flush()
    await asyncio.sleep(0.1)

    with pytest.raises(asyncio.TimeoutError):
        await voice.connect(timeout=1.0)
    assert town.server.voice_state(town.guild_id, town.bot.user_id) is None
