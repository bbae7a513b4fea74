"""Slash commands, buttons and modals: a member acts through the server, the real discord.py bot answers."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_connector import build_connector
from tests.sandbox.conftest import Starter, Town, intents


class Door(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.knocks: list[int] = []

    @discord.ui.button(label="Knock", custom_id="door:knock")
    async def knock(self, interaction: discord.Interaction, button: discord.ui.Button[Door]) -> None:
        self.knocks.append(interaction.user.id)
        await interaction.response.edit_message(content=f"{len(self.knocks)} knock(s)", view=self)

    @discord.ui.button(label="Ask", custom_id="door:ask")
    async def ask(self, interaction: discord.Interaction, button: discord.ui.Button[Door]) -> None:
        await interaction.response.send_modal(Question())


class Question(discord.ui.Modal, title="Ask the host"):
    text: discord.ui.TextInput[Question] = discord.ui.TextInput(label="Question", custom_id="question")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Got: {self.text.value}", ephemeral=True)


def make_client(town: Town) -> tuple[discord.Client, app_commands.CommandTree[discord.Client], Door]:
    connector = build_connector(town.server.endpoint, town.server.ca_file)
    client = discord.Client(intents=intents(), connector=connector, guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)
    door = Door()
    space = app_commands.Group(name="space", description="Spaces")

    @space.command(name="start", description="Start a Space")
    async def start(
        interaction: discord.Interaction, title: str, seats: int = 5, cohost: discord.Member | None = None
    ) -> None:
        who = cohost.display_name if cohost else "nobody"
        await interaction.response.send_message(f"{title}/{seats}/{who}", ephemeral=True)

    @space.command(name="card", description="Post a card")
    async def card(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("card below", view=door)
        await interaction.edit_original_response(content="posted")

    tree.add_command(space, guild=discord.Object(town.guild_id))

    async def setup_hook() -> None:
        await tree.sync(guild=discord.Object(town.guild_id))

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    return client, tree, door


async def test_slash_command_gets_an_ephemeral_reply(town: Town, start_client: Starter) -> None:
    client, _, _ = make_client(town)
    await start_client(town.server, town.bot.token, client)

    record = await town.server.slash(town.guild_id, town.chat, town.alice, "space start", title="AMA", cohost=town.bob)

    assert record.response_type == 4
    assert record.ephemeral
    assert record.content == "AMA/5/bob"
    assert town.server.messages(town.chat) == []  # ephemeral: not in the channel


async def test_deferred_command_follow_up_and_button_click(town: Town, start_client: Starter) -> None:
    client, _, door = make_client(town)
    await start_client(town.server, town.bot.token, client)

    record = await town.server.slash(town.guild_id, town.chat, town.alice, "space card")
    await record.wait_done()
    card = record.followups[0]
    click = await town.server.click(town.bob, int(card["id"]), "door:knock")

    assert record.response_type == 5
    assert record.content == "posted"
    assert click.response_type == 7
    assert door.knocks == [town.bob]
    assert town.server.message(town.chat, int(card["id"]))["content"] == "1 knock(s)"


async def test_modal_submit(town: Town, start_client: Starter) -> None:
    client, _, _ = make_client(town)
    await start_client(town.server, town.bot.token, client)
    record = await town.server.slash(town.guild_id, town.chat, town.alice, "space card")
    await record.wait_done()

    opened = await town.server.click(town.bob, int(record.followups[0]["id"]), "door:ask")
    answer = await town.server.submit_modal(opened, town.bob, {"question": "When is the next one?"})

    assert opened.response_type == 9
    assert opened.modal is not None
    assert answer.content == "Got: When is the next one?"
    assert answer.ephemeral


async def test_command_registration_is_stored(town: Town, start_client: Starter) -> None:
    client, tree, _ = make_client(town)
    await start_client(town.server, town.bot.token, client)

    fetched = await tree.fetch_commands(guild=discord.Object(town.guild_id))

    assert [c.name for c in fetched] == ["space"]
    assert {o.name for o in fetched[0].options} == {"start", "card"}
