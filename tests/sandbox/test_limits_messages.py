"""Message limits: the real discord.py client sends what Discord refuses and gets Discord's 400 answer back.

Components go through discord.py's raw HTTP route, because its ``View`` already refuses more than 5 rows on
the client side: the point is what the server answers to a bot that builds its payloads by hand.
"""

from __future__ import annotations

import io
from typing import Any

import discord
import pytest
from discord.http import Route

from tests.sandbox.conftest import Starter, Town

JSON = dict[str, Any]


def too_long(limit: int) -> JSON:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


async def _chat(town: Town, start_client: Starter) -> tuple[discord.Client, discord.TextChannel]:
    client = await start_client(town.server, town.bot.token)
    channel = client.get_channel(town.chat)
    assert isinstance(channel, discord.TextChannel)
    return client, channel


def _errors(error: pytest.ExceptionInfo[discord.HTTPException]) -> JSON | None:
    assert (error.value.status, error.value.code) == (400, 50035)
    return error.value._errors


def _button(custom_id: str, label: str = "Go") -> JSON:
    return {"type": 2, "style": 1, "custom_id": custom_id, "label": label}


async def _post(client: discord.Client, channel_id: int, payload: JSON) -> Any:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    return await client.http.request(route, json=payload)


async def test_content_over_2000_is_refused_and_2000_passes(town: Town, start_client: Starter) -> None:
    _, channel = await _chat(town, start_client)

    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * 2001)
    await channel.send("x" * 2000)

    assert _errors(refused) == {"content": too_long(2000)}
    assert [len(m["content"]) for m in town.server.messages(town.chat)] == [2000]


async def test_a_file_over_10_mib_is_refused_with_413_and_one_at_10_mib_is_kept(
    town: Town, start_client: Starter
) -> None:
    _, channel = await _chat(town, start_client)
    most = 10 * 1024 * 1024

    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(file=discord.File(io.BytesIO(b"x" * (most + 1)), filename="big.txt"))
    sent = await channel.send(file=discord.File(io.BytesIO(b"y" * most), filename="fits.txt"))

    assert (refused.value.status, refused.value.code) == (413, 40005)
    assert [(a.filename, a.size) for a in sent.attachments] == [("fits.txt", most)]
    assert town.server.world.uploads[sent.attachments[0].id] == b"y" * most
    assert len(town.server.messages(town.chat)) == 1


async def test_field_value_over_1024_is_refused_with_discords_nested_errors(town: Town, start_client: Starter) -> None:
    _, channel = await _chat(town, start_client)
    embed = discord.Embed(title="Card")
    for name, value in (("a", "1"), ("b", "2"), ("Pinned links", "y" * 1025)):
        embed.add_field(name=name, value=value)

    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(embed=embed)

    assert _errors(refused) == {"embeds": {"0": {"fields": {"2": {"value": too_long(1024)}}}}}
    assert "In embeds.0.fields.2.value: Must be 1024 or fewer in length." in refused.value.text
    assert town.server.messages(town.chat) == []
    assert town.server.refusals[-1]["route"] == "/channels/{channel_id}/messages"


async def test_each_embed_part_has_its_own_limit(town: Town, start_client: Starter) -> None:
    _, channel = await _chat(town, start_client)
    embed = discord.Embed(title="t" * 257, description="d" * 4097)
    embed.set_footer(text="f" * 2049)
    embed.set_author(name="a" * 257)
    for n in range(26):
        embed.add_field(name="n" * (257 if n == 0 else 1), value="v")

    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(embed=embed)

    errors = _errors(refused)
    assert errors is not None
    first = errors["embeds"]["0"]
    assert first["title"] == too_long(256)
    assert first["description"] == too_long(4096)
    assert first["footer"] == {"text": too_long(2048)}
    assert first["author"] == {"name": too_long(256)}
    assert first["fields"]["_errors"] == too_long(25)["_errors"]
    assert first["fields"]["0"] == {"name": too_long(256)}


async def test_all_embeds_share_6000_characters_and_at_most_10_embeds(town: Town, start_client: Starter) -> None:
    client, channel = await _chat(town, start_client)
    big = [discord.Embed(description="d" * 3001), discord.Embed(description="d" * 3000)]
    many = [{"title": str(n)} for n in range(11)]  # discord.py itself refuses 11 Embed objects

    with pytest.raises(discord.HTTPException) as oversize:
        await channel.send(embeds=big)
    with pytest.raises(discord.HTTPException) as too_many:
        await _post(client, town.chat, {"embeds": many})
    await channel.send(embeds=[discord.Embed(description="d" * 3000), discord.Embed(description="d" * 3000)])

    size = {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
    assert _errors(oversize) == {"embeds": {"_errors": [size]}}
    assert _errors(too_many) == {"embeds": too_long(10)}
    assert len(town.server.messages(town.chat)) == 1


async def test_an_embed_at_every_limit_still_passes(town: Town, start_client: Starter) -> None:
    _, channel = await _chat(town, start_client)
    embed = discord.Embed(title="t" * 256, description="d" * 1548)
    embed.set_footer(text="f" * 100)
    embed.set_author(name="a" * 256)
    for _ in range(3):
        embed.add_field(name="n" * 256, value="v" * 1024)  # 6,000 characters in all, exactly

    message = await channel.send(content="c" * 2000, embed=embed)

    assert town.server.message(town.chat, message.id)["embeds"][0]["fields"][2]["value"] == "v" * 1024


async def test_an_edit_is_held_to_the_same_limits_and_changes_nothing(town: Town, start_client: Starter) -> None:
    _, channel = await _chat(town, start_client)
    message = await channel.send("short")

    with pytest.raises(discord.HTTPException) as refused:
        await message.edit(content="x" * 2001)

    assert _errors(refused) == {"content": too_long(2000)}
    assert town.server.message(town.chat, message.id)["content"] == "short"


async def test_a_dm_is_held_to_the_same_limits(town: Town, start_client: Starter) -> None:
    client, _ = await _chat(town, start_client)
    alice = await client.fetch_user(town.alice)

    with pytest.raises(discord.HTTPException) as refused:
        await alice.send(embed=discord.Embed(title="x" * 257))
    await alice.send(embed=discord.Embed(title="x" * 256))

    assert _errors(refused) == {"embeds": {"0": {"title": too_long(256)}}}
    assert [m["embeds"][0]["title"] for m in town.server.dms(town.alice)] == ["x" * 256]


async def test_component_limits(town: Town, start_client: Starter) -> None:
    client, _ = await _chat(town, start_client)
    select = {"type": 3, "custom_id": "pick", "options": [{"label": str(n), "value": str(n)} for n in range(26)]}
    rows = [
        {"type": 1, "components": [_button(f"b{n}") for n in range(6)]},
        {"type": 1, "components": [_button("c" * 101, label="L" * 81)]},
        {"type": 1, "components": [_button("b0")]},
        {"type": 1, "components": [select]},
        {"type": 1, "components": [{**select, "options": select["options"][:2]}, _button("next")]},
        {"type": 1, "components": [_button("six")]},
    ]

    with pytest.raises(discord.HTTPException) as refused:
        await _post(client, town.chat, {"content": "menu", "components": rows})

    errors = _errors(refused)
    assert errors is not None
    components = errors["components"]
    assert components["_errors"] == too_long(5)["_errors"]
    between = {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 5 in length."}
    assert components["0"] == {"components": {"_errors": [between]}}
    assert components["1"]["components"]["0"] == {"label": too_long(80), "custom_id": too_long(100)}
    duplicated = {"code": "COMPONENT_CUSTOM_ID_DUPLICATED", "message": "Component custom id cannot be duplicated"}
    assert components["2"]["components"]["0"] == {"custom_id": {"_errors": [duplicated]}}
    options = {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 25 in length."}
    assert components["3"]["components"]["0"] == {"options": {"_errors": [options]}}
    assert components["4"]["components"]["_errors"][0]["code"] == "COMPONENT_LAYOUT_WIDTH_EXCEEDED"
    assert town.server.messages(town.chat) == []


async def test_five_full_rows_and_a_select_row_pass(town: Town, start_client: Starter) -> None:
    client, _ = await _chat(town, start_client)
    select = {"type": 3, "custom_id": "p" * 100, "options": [{"label": str(n), "value": str(n)} for n in range(25)]}
    rows = [{"type": 1, "components": [_button(f"{r}-{n}", "L" * 80) for n in range(5)]} for r in range(4)]
    rows.append({"type": 1, "components": [select]})

    sent = await _post(client, town.chat, {"content": "menu", "components": rows})

    assert len(town.server.message(town.chat, int(sent["id"]))["components"]) == 5


async def test_every_refusal_is_logged_for_the_suite_to_fail_on(
    town: Town, start_client: Starter, caplog: pytest.LogCaptureFixture
) -> None:
    _, channel = await _chat(town, start_client)

    with pytest.raises(discord.HTTPException):
        await channel.send("x" * 2001)
    await channel.send("fine")

    [logged] = [r.getMessage() for r in caplog.records if r.name == "sandbox.refusals"]
    assert logged.startswith("refused POST /channels/{channel_id}/messages: 400")
    assert "BASE_TYPE_MAX_LENGTH" in logged


async def test_a_reply_stores_discords_string_ids_and_an_unknown_message_is_refused(
    town: Town, start_client: Starter
) -> None:
    client, channel = await _chat(town, start_client)
    first = await channel.send("first")

    reply = await channel.send("reply", reference=first)
    with pytest.raises(discord.HTTPException) as refused:
        await _post(client, town.chat, {"content": "to nothing", "message_reference": {"message_id": "1"}})
    lenient = await _post(
        client, town.chat, {"content": "loose", "message_reference": {"message_id": "1", "fail_if_not_exists": False}}
    )

    stored = town.server.message(town.chat, reply.id)["message_reference"]
    assert stored == {
        "type": 0,
        "message_id": str(first.id),
        "channel_id": str(town.chat),
        "guild_id": str(channel.guild.id),
    }
    assert reply.reference is not None and reply.reference.message_id == first.id
    unknown = {"_errors": [{"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}
    assert _errors(refused) == {"message_reference": unknown}
    assert "message_reference" not in lenient
