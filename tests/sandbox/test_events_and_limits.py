"""Scheduled events, interest, rate-limit simulation, RESUME and member chunking."""

from __future__ import annotations

import datetime

import discord

from tests.sandbox.conftest import Starter, Town


def _soon() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)


async def test_scheduled_event_lifecycle_and_interest(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    stage = client.get_channel(town.stage)
    assert guild is not None
    assert isinstance(stage, discord.StageChannel)

    event = await guild.create_scheduled_event(
        name="Friday AMA",
        start_time=_soon(),
        channel=stage,
        entity_type=discord.EntityType.stage_instance,
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    await town.server.wait_for(lambda: guild.get_scheduled_event(event.id) is not None)
    seen: list[int] = []

    async def on_scheduled_event_user_add(_event: discord.ScheduledEvent, user: discord.User) -> None:
        seen.append(user.id)

    client.event(on_scheduled_event_user_add)
    await town.server.set_event_interest(town.guild_id, event.id, town.alice)
    await town.server.wait_for(lambda: seen == [town.alice])
    interested = [u.id async for u in event.users()]
    started = await event.start()
    await started.end()
    await town.server.wait_for(
        lambda: guild.get_scheduled_event(event.id).status is discord.EventStatus.completed  # type: ignore[union-attr]
    )

    assert interested == [town.alice]
    assert town.server.scheduled_events(town.guild_id)[0].status == 3


async def test_rate_limit_simulation_returns_429_that_discord_py_retries(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    channel = client.get_channel(town.chat)
    assert isinstance(channel, discord.TextChannel)
    town.server.rate_limit.enabled = True
    town.server.rate_limit.limit = 2
    town.server.rate_limit.window = 0.3

    for n in range(4):
        await channel.send(f"message {n}")

    assert [m["content"] for m in town.server.messages(town.chat)] == [f"message {n}" for n in range(4)]
    assert town.server.request_counts[("POST", "/channels/{channel_id}/messages")] >= 4


async def test_resume_replays_missed_events(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None
    assert client.ws is not None

    await client.ws.close(code=4000)  # a dropped connection: discord.py resumes
    await town.server.join_voice(town.guild_id, town.bob, town.voice)
    await town.server.wait_for(lambda: guild.get_member(town.bob).voice is not None)  # type: ignore[union-attr]

    assert town.server.events.count("READY") == 1  # resumed, not re-identified


async def test_member_chunk_request(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    guild = client.get_guild(town.guild_id)
    assert guild is not None

    found = await guild.query_members(query="ali")

    assert [m.id for m in found] == [town.alice]


async def test_click_on_an_ephemeral_reply_by_string_id(town: Town, start_client: Starter) -> None:
    client = await start_client(town.server, town.bot.token)
    clicked: list[int] = []

    class Panel(discord.ui.View):
        @discord.ui.button(label="Approve", custom_id="panel:ok")
        async def ok(self, interaction: discord.Interaction, button: discord.ui.Button[Panel]) -> None:
            clicked.append(interaction.user.id)
            await interaction.response.send_message("approved", ephemeral=True)

    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        await message.channel.send("panel", view=Panel())

    client.event(on_message)
    await town.server.post_message(town.chat, town.alice, "show panel")
    await town.server.wait_for(lambda: len(town.server.messages(town.chat)) == 2)
    panel = town.server.messages(town.chat)[-1]

    record = await town.server.click(town.alice, panel["id"], "panel:ok")

    assert clicked == [town.alice]
    assert record.content == "approved"
    assert record.message_id is not None
