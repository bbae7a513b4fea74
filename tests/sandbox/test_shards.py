"""Sharding on the local Discord, with discord.py's own AutoShardedClient: each shard gets its guilds (and their
events) only, an invalid shard is closed with 4010, and every IDENTIFY counts against the session start limit
that GET /gateway/bot reports."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

import aiohttp
import discord
import pytest

from bot.discord_connector import build_connector
from sandbox import LocalDiscord
from tests.sandbox.conftest import Starter, intents

ALL = 8  # administrator
Start = Callable[..., Awaitable[discord.AutoShardedClient]]


@pytest.fixture
def start_shards(server: LocalDiscord, start_client: Starter) -> Start:
    """Log in an AutoShardedClient holding `shard_ids` of `shard_count`, ready; closed after the test (by the
    sandbox's `start_client`)."""

    async def start(token: str, shard_ids: list[int], shard_count: int) -> discord.AutoShardedClient:
        client = discord.AutoShardedClient(
            intents=intents(),
            connector=build_connector(server.endpoint, server.ca_file),
            guild_ready_timeout=0.1,
            shard_ids=shard_ids,
            shard_count=shard_count,
        )
        await start_client(server, token, client)
        return client

    return start


def two_guilds(server: LocalDiscord, token_name: str = "Spaces") -> tuple[str, list[int], list[int], list[int]]:
    """A bot in two guilds, the first on shard 0 of 2 and the second on shard 1; a chat and a member in each."""
    bot = server.add_bot(token_name)
    guilds, chats, members = [], [], []
    for shard in (0, 1):
        guild = server.add_guild(f"Guild of shard {shard}", shard=(shard, 2))
        server.add_bot_to_guild(guild.id, bot, ALL)
        guilds.append(guild.id)
        chats.append(server.add_text_channel(guild.id, "chat"))
        members.append(server.add_member(guild.id, f"member{shard}"))
    return bot.token, guilds, chats, members


async def test_each_shard_gets_its_guilds_and_their_events_only(server: LocalDiscord, start_shards: Start) -> None:
    token, guilds, chats, members = two_guilds(server)
    assert [(g >> 22) % 2 for g in guilds] == [0, 1]
    first = await start_shards(token, [0], 2)
    second = await start_shards(token, [1], 2)
    assert [g.id for g in first.guilds] == [guilds[0]]
    assert [g.id for g in second.guilds] == [guilds[1]]
    seen: dict[int, list[str]] = {0: [], 1: []}
    for shard, client in enumerate((first, second)):

        async def on_message(message: discord.Message, shard: int = shard) -> None:
            seen[shard].append(message.content)

        client.event(on_message)

    await server.post_message(chats[1], members[1], "for shard one")
    await server.post_message(chats[0], members[0], "for shard zero")
    await server.wait_for(lambda: seen[0] == ["for shard zero"] and seen[1] == ["for shard one"])
    await server.post_message(chats[1], members[1], "again one")
    await server.wait_for(lambda: seen[1] == ["for shard one", "again one"])
    assert seen[0] == ["for shard zero"]


async def test_one_client_with_both_shards_gets_both_guilds(server: LocalDiscord, start_shards: Start) -> None:
    token, guilds, _, _ = two_guilds(server)
    client = await start_shards(token, [0, 1], 2)
    assert sorted(g.id for g in client.guilds) == sorted(guilds)
    assert {g.shard_id for g in client.guilds} == {0, 1}


async def test_a_shard_id_out_of_range_is_closed_with_4010(server: LocalDiscord) -> None:
    token, _, _, _ = two_guilds(server)
    client = discord.Client(
        intents=intents(),
        connector=build_connector(server.endpoint, server.ca_file),
        shard_id=2,
        shard_count=2,
    )
    try:
        await client.login(token)
        with pytest.raises(discord.ConnectionClosed) as closed:
            await asyncio.wait_for(client.connect(reconnect=False), 10)
        assert closed.value.code == 4010
        assert not server.hub.sessions  # refused before any session began
    finally:
        await client.close()


async def test_identifies_count_against_the_session_start_limit(server: LocalDiscord, start_shards: Start) -> None:
    token, _, _, _ = two_guilds(server)
    other = server.add_bot("Other").token
    first = await start_shards(token, [0], 2)
    before = await first.fetch_session_start_limits()
    assert (before.total, before.remaining, before.max_concurrency) == (1000, 999, 1)
    await start_shards(token, [1], 2)
    await start_shards(other, [0], 1)
    after = await first.fetch_session_start_limits()
    assert after.remaining == 998  # the other bot's login is its own token's
    assert server.hub.identifies[token] == 2


async def test_past_the_session_start_limit_an_identify_is_refused(server: LocalDiscord) -> None:
    """A raw IDENTIFY (discord.py would keep retrying a 4000): closed, and no session begins."""
    token, _, _, _ = two_guilds(server)
    server.hub.identifies[token] = 1000  # a day of restarts already spent
    ssl_context = ssl.create_default_context(cafile=server.ca_file)
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"wss://{server.endpoint}/?v=10&encoding=json", ssl=ssl_context) as ws,
    ):
        hello = await ws.receive_json(timeout=10)
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": token, "intents": 1, "properties": {}, "shard": [0, 2]}})
        closed = await ws.receive(timeout=10)
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 4000
    assert not server.hub.sessions
    assert server.hub.session_start_limit(token)["remaining"] == 0
