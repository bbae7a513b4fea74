"""Voice states, Stage speakers, stage instances and the bot's own voice connection."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.sandbox.conftest import Starter, Town


async def test_member_joins_and_leaves_voice(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None

    await town.server.join_voice(town.guild_id, town.bob, town.stage)
    await town.server.wait_for(lambda: (m := guild.get_member(town.bob)) is not None and m.voice is not None)
    bob = guild.get_member(town.bob)
    assert bob is not None
    assert bob.voice is not None
    assert bob.voice.channel is not None
    assert bob.voice.channel.id == town.stage
    assert bob.voice.suppress  # audience first

    await town.server.raise_hand(town.guild_id, town.bob)
    await town.server.wait_for(lambda: bob.voice is not None and bob.voice.requested_to_speak_at is not None)

    await town.server.leave_voice(town.guild_id, town.bob)
    await town.server.wait_for(lambda: guild.get_member(town.bob).voice is None)  # type: ignore[union-attr]
    assert town.server.voice_state(town.guild_id, town.bob) is None


async def test_bot_brings_a_member_up_to_speak(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None
    await town.server.join_voice(town.guild_id, town.bob, town.stage)
    await town.server.wait_for(lambda: guild.get_member(town.bob).voice is not None)  # type: ignore[union-attr]
    bob = guild.get_member(town.bob)
    assert bob is not None

    await bob.edit(suppress=False)
    await town.server.wait_for(lambda: bob.voice is not None and not bob.voice.suppress)
    await bob.edit(mute=True)
    await town.server.wait_for(lambda: bob.voice is not None and bob.voice.mute)

    state = town.server.voice_state(town.guild_id, town.bob)
    assert state is not None
    assert state["suppress"] is False
    assert state["mute"] is True


async def test_stage_instance_create_edit_delete(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    stage = client.get_channel(town.stage)
    assert isinstance(stage, discord.StageChannel)

    instance = await stage.create_instance(topic="Friday AMA")
    await town.server.wait_for(lambda: stage.instance is not None)
    await instance.edit(topic="Friday AMA (music)")
    await town.server.wait_for(lambda: stage.instance is not None and stage.instance.topic == "Friday AMA (music)")
    stored = town.server.stage_instance(town.stage)
    await instance.delete()
    await town.server.wait_for(lambda: stage.instance is None)

    assert stored is not None
    assert stored["topic"] == "Friday AMA (music)"
    assert town.server.stage_instance(town.stage) is None


async def test_stage_instance_on_a_text_channel_is_rejected(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    with pytest.raises(discord.HTTPException) as rejected:
        await client.http.create_stage_instance(channel_id=town.chat, topic="nope", reason=None)
    assert rejected.value.status == 400


async def test_bot_connects_to_a_stage_and_disconnects(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    stage = client.get_channel(town.stage)
    assert isinstance(stage, discord.StageChannel)

    voice = await stage.connect(timeout=10, self_deaf=False)
    assert voice.is_connected()
    await asyncio.sleep(0.2)
    session = town.server.voice.session_for(town.guild_id, town.bot.user_id)
    state = town.server.voice_state(town.guild_id, town.bot.user_id)
    await stage.guild.me.edit(suppress=False)
    await town.server.wait_for(lambda: not stage.guild.me.voice.suppress)  # type: ignore[union-attr]
    await voice.disconnect()
    await town.server.wait_for(lambda: town.server.voice_state(town.guild_id, town.bot.user_id) is None)

    assert state is not None
    assert state["channel_id"] == str(town.stage)
    assert session is not None
    assert session.mode == "aead_xchacha20_poly1305_rtpsize"
