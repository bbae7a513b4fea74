"""Who sees which command (default_member_permissions) and autocomplete, as Discord does them."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_connector import build_connector
from tests.sandbox.conftest import Starter, Town, intents

FRUITS = ["apple", "apricot", "banana", "blueberry", "cherry"]


def make_client(town: Town) -> discord.Client:
    connector = build_connector(town.server.endpoint, town.server.ca_file)
    client = discord.Client(intents=intents(), connector=connector, guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)
    admin = app_commands.Group(
        name="admin", description="Admins only", default_permissions=discord.Permissions(manage_guild=True)
    )

    @admin.command(name="reset", description="Reset")
    async def reset(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("reset", ephemeral=True)

    @app_commands.command(name="pick", description="Pick a fruit")
    async def pick(interaction: discord.Interaction, fruit: str, many: int = 0) -> None:
        await interaction.response.send_message(fruit, ephemeral=True)

    @pick.autocomplete("fruit")
    async def fruits(interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        many = interaction.namespace.many
        names = [f"fruit {n}" for n in range(many)] if many else [f for f in FRUITS if f.startswith(typed)]
        return [app_commands.Choice(name=name, value=name) for name in names]

    guild = discord.Object(town.guild_id)
    tree.add_command(admin, guild=guild)
    tree.add_command(pick, guild=guild)

    async def setup_hook() -> None:
        await tree.sync(guild=guild)

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    return client


async def test_default_member_permissions_hide_a_command_from_members(town: Town, start_client: Starter) -> None:
    await start_client(town.server, town.bot.token, make_client(town))

    assert town.server.visible_commands(town.guild_id, town.bob) == ["pick"]
    assert town.server.visible_commands(town.guild_id, town.owner) == ["admin", "pick"]


async def test_autocomplete_returns_the_bots_choices(town: Town, start_client: Starter) -> None:
    await start_client(town.server, town.bot.token, make_client(town))

    record = await town.server.autocomplete(town.guild_id, town.chat, town.bob, "pick", "fruit", fruit="ap")

    assert record.response_type == 8
    assert record.choices == [{"name": "apple", "value": "apple"}, {"name": "apricot", "value": "apricot"}]


async def test_more_than_25_choices_are_refused(town: Town, start_client: Starter) -> None:
    await start_client(town.server, town.bot.token, make_client(town))

    fits = await town.server.autocomplete(town.guild_id, town.chat, town.bob, "pick", "fruit", many=25)
    too_many = await town.server.autocomplete(town.guild_id, town.chat, town.bob, "pick", "fruit", many=26, timeout=2)

    assert fits.choices is not None and len(fits.choices) == 25
    assert not too_many.responded and too_many.choices is None
