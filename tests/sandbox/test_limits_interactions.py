"""Interaction responses, follow-ups and edits of the original are held to the message limits, and to Discord's
two clocks (3 s for the initial response, 15 minutes of token). The clocks are moved, not waited for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.discord_connector import build_connector
from tests.sandbox.conftest import Starter, Town, intents

JSON = dict[str, Any]
Handler = Callable[[discord.Interaction], Awaitable[None]]


class Clock:
    """The server's deadline clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Probe:
    """A bot with one slash command, ``/probe``, whose body each test supplies; it keeps what Discord said."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self.handler: Handler | None = None
        self.failures: list[discord.HTTPException] = []
        connector = build_connector(town.server.endpoint, town.server.ca_file)
        self.client = discord.Client(intents=intents(), connector=connector, guild_ready_timeout=0.1)
        tree = app_commands.CommandTree(self.client)

        @tree.command(name="probe", description="Answer as the test says", guild=discord.Object(town.guild_id))
        async def probe(interaction: discord.Interaction) -> None:
            assert self.handler is not None
            try:
                await self.handler(interaction)
            except discord.HTTPException as error:
                self.failures.append(error)

        async def setup_hook() -> None:
            await tree.sync(guild=discord.Object(town.guild_id))

        self.client.setup_hook = setup_hook  # type: ignore[method-assign]

    async def run(self, handler: Handler, *, refusals: int) -> Any:
        """Run ``/probe`` with ``handler``; return once Discord refused it ``refusals`` times (a refusal may come
        after the interaction is done: a late follow-up), or once it is done when none is expected."""
        self.handler = handler
        record = await self.town.server.slash(self.town.guild_id, self.town.chat, self.town.alice, "probe")
        await self.town.server.wait_for(lambda: len(self.failures) >= refusals and (refusals > 0 or record.done))
        return record


async def _probe(town: Town, start_client: Starter) -> Probe:
    probe = Probe(town)
    await start_client(town.server, town.bot.token, probe.client)
    return probe


def too_long(limit: int) -> JSON:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


async def test_an_oversize_response_is_refused_under_data(town: Town, start_client: Starter) -> None:
    probe = await _probe(town, start_client)

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=discord.Embed(description="d" * 4097))

    record = await probe.run(answer, refusals=1)

    [refused] = probe.failures
    assert (refused.status, refused.code) == (400, 50035)
    assert refused._errors == {"data": {"embeds": {"0": {"description": too_long(4096)}}}}
    assert not record.responded


async def test_follow_up_and_edit_of_the_original_are_held_to_the_limits(town: Town, start_client: Starter) -> None:
    probe = await _probe(town, start_client)

    async def answer(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        try:
            await interaction.followup.send("x" * 2001)
        except discord.HTTPException as error:
            probe.failures.append(error)
        fields = discord.Embed()
        for _ in range(26):
            fields.add_field(name="n", value="v")
        try:
            await interaction.edit_original_response(embed=fields)
        except discord.HTTPException as error:
            probe.failures.append(error)
        await interaction.edit_original_response(content="done")

    record = await probe.run(answer, refusals=2)
    await record.wait_done()

    follow_up, edit = probe.failures
    assert (follow_up.status, follow_up.code, follow_up._errors) == (400, 50035, {"content": too_long(2000)})
    assert edit._errors == {"embeds": {"0": {"fields": too_long(25)}}}
    assert record.followups == []
    assert (record.content, record.embeds) == ("done", [])


async def test_an_initial_response_after_3_seconds_is_unknown_interaction(town: Town, start_client: Starter) -> None:
    probe = await _probe(town, start_client)
    clock = Clock()
    town.server.deadlines.clock = clock

    async def slow(interaction: discord.Interaction) -> None:
        clock.now += 3.01  # the bot took longer than Discord waits
        await interaction.response.defer()

    record = await probe.run(slow, refusals=1)

    [refused] = probe.failures
    assert isinstance(refused, discord.NotFound)
    assert (refused.status, refused.code, refused.text) == (404, 10062, "Unknown interaction")
    assert not record.responded


async def test_the_token_lasts_15_minutes(town: Town, start_client: Starter) -> None:
    probe = await _probe(town, start_client)
    clock = Clock()
    town.server.deadlines.clock = clock

    async def late(interaction: discord.Interaction) -> None:
        clock.now += 2.9
        await interaction.response.defer()
        clock.now += 14 * 60
        await interaction.followup.send("still in time")
        clock.now += 60
        await interaction.followup.send("too late")

    record = await probe.run(late, refusals=1)

    [refused] = probe.failures
    assert (refused.status, refused.code) == (401, 50027)
    assert [f["content"] for f in record.followups] == ["still in time"]
