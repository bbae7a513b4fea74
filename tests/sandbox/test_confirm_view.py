"""`bot.confirm` on its own: an unanswered question times out doing nothing.

The bot's commands wait two minutes for an answer; this drives the same view from a small client with a short
wait, so the timeout is exercised without a two-minute test. Cancel, Confirm and another member's press are
covered through the bot's own commands in tests/e2e/test_command_tree.py.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.confirm import ask_to_confirm
from bot.discord_connector import build_connector
from tests.sandbox.conftest import Starter, Town, intents


def make_client(town: Town, ran: list[int]) -> discord.Client:
    connector = build_connector(town.server.endpoint, town.server.ca_file)
    client = discord.Client(intents=intents(), connector=connector, guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)

    @app_commands.command(name="wipe", description="Delete something after asking")
    async def wipe(interaction: discord.Interaction) -> None:
        async def action(pressed: discord.Interaction) -> str:
            ran.append(pressed.user.id)
            return "Wiped."

        await ask_to_confirm(interaction, "Wipe it?", action, doing="wipe", wait_seconds=0.5)

    guild = discord.Object(town.guild_id)
    tree.add_command(wipe, guild=guild)

    async def setup_hook() -> None:
        await tree.sync(guild=guild)

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    return client


async def test_an_unanswered_question_times_out_and_nothing_runs(town: Town, start_client: Starter) -> None:
    ran: list[int] = []
    await start_client(town.server, town.bot.token, make_client(town, ran))

    asked = await town.server.slash(town.guild_id, town.chat, town.bob, "wipe")
    labels = [c["label"] for row in asked.components for c in row["components"]]
    assert labels == ["Confirm", "Cancel"] and asked.ephemeral and asked.content == "Wipe it?"

    await town.server.wait_for(lambda: asked.content != "Wipe it?", timeout=10)
    assert asked.content == "No answer: nothing was deleted."
    assert asked.components == [] and ran == []  # no button left to press late
