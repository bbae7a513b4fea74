"""The unmodified discord.py client against the local Discord: login, cache, messages, DMs, permissions."""

from __future__ import annotations

import discord
import pytest

from sandbox import LocalDiscord
from tests.sandbox.conftest import Starter, Town, populate


async def test_login_ready_and_guild_cache(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)

    assert client.user is not None
    assert client.user.id == town.bot.user_id
    assert client.application_id == town.bot.application_id
    guild = client.get_guild(town.guild_id)
    assert guild is not None
    assert "COMMUNITY" in guild.features
    assert {m.id for m in guild.members} >= {town.owner, town.alice, town.bob, town.bot.user_id}
    assert isinstance(guild.get_channel(town.stage), discord.StageChannel)
    assert guild.me.guild_permissions.administrator
    assert town.server.request_counts[("GET", "/oauth2/applications/@me")] == 1


async def test_bad_token_is_a_login_failure(town: Town, start_client: Starter) -> None:
    with pytest.raises(discord.LoginFailure):
        await start_client(town.server, "not-a-token")


async def test_message_sent_and_read_back(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    channel = client.get_channel(town.chat)
    assert isinstance(channel, discord.TextChannel)

    sent = await channel.send("hello", allowed_mentions=discord.AllowedMentions.none())
    fetched = await channel.fetch_message(sent.id)
    await sent.edit(content="hello again")
    history = [m.content async for m in channel.history(limit=10)]

    assert fetched.content == "hello"
    assert history == ["hello again"]
    stored = town.server.messages(town.chat)[-1]
    assert stored["allowed_mentions"] == {"parse": []}
    await sent.delete()
    assert town.server.messages(town.chat) == []


async def test_member_message_reaches_the_bot(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    seen: list[str] = []
    client.event(_collector(seen))

    await town.server.post_message(town.chat, town.alice, "hi bot")

    await town.server.wait_for(lambda: seen == ["hi bot"])


def _collector(seen: list[str]):  # type: ignore[no-untyped-def]
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    return on_message


async def test_dm_and_refused_dm(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    alice = client.get_user(town.alice)
    bob = client.get_user(town.bob)
    assert alice is not None
    assert bob is not None

    await alice.send("your Space starts soon")
    town.server.set_dm_refused(town.bob)
    with pytest.raises(discord.Forbidden) as refused:
        await bob.send("nope")

    assert [m["content"] for m in town.server.dms(town.alice)] == ["your Space starts soon"]
    assert refused.value.code == 50007
    assert town.server.dms(town.bob) == []


async def test_missing_permissions_is_forbidden_50013(server: LocalDiscord, start_client: Starter) -> None:
    town = populate(server, bot_permissions=0)
    client = await start_client(server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None

    with pytest.raises(discord.Forbidden) as denied:
        await guild.create_text_channel("nope")
    with pytest.raises(discord.Forbidden) as no_stage:
        await guild.get_channel(town.stage).create_instance(topic="AMA")  # type: ignore[union-attr]

    assert denied.value.code == 50013
    assert no_stage.value.code == 50013


async def test_unknown_message_is_not_found(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    channel = client.get_channel(town.chat)
    with pytest.raises(discord.NotFound) as missing:
        await channel.fetch_message(1234)  # type: ignore[union-attr]
    assert missing.value.code == 10008


async def test_channel_created_with_overwrites_reaches_the_cache(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None
    everyone = guild.default_role

    created = await guild.create_text_channel(
        "space-chat", overwrites={everyone: discord.PermissionOverwrite(send_messages=False)}
    )

    await town.server.wait_for(lambda: guild.get_channel(created.id) is not None)
    bob = guild.get_member(town.bob)
    assert bob is not None
    assert not created.permissions_for(bob).send_messages


async def test_new_client_logs_in_against_the_same_server(town: Town, start_client: Starter) -> None:
    first = await start_client(town.server, town.bot.token)
    await first.close()

    second = await start_client(town.server, town.bot.token)

    assert second.get_guild(town.guild_id) is not None
    assert town.server.events.count("READY") == 2
