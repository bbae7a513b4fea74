"""Several bot accounts on one local Discord, answering as Discord does (its documented gateway behaviour):

- IDENTIFY with a token it does not know closes the gateway with 4004 "Authentication failed";
- each bot identifies with its own token and gets its own guilds, and has its own voice connection in a guild;
- a bot's Voice State Update (op 4) "joins, leaves or moves between voice channels": a second channel in the same
  guild moves its one voice state and voice session, it never adds one.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import discord

from bot.audio.voice_receive import ReceivingVoiceClient
from bot.discord_connector import build_connector
from sandbox import LocalDiscord
from sandbox.permissions import CONNECT, VIEW_CHANNEL
from tests.sandbox.conftest import Starter, Town

GATEWAY = "wss://gateway.discord.gg/?v=10&encoding=json"


async def _frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any] | None:
    message = await asyncio.wait_for(ws.receive(), 5)
    return json.loads(message.data) if message.type is aiohttp.WSMsgType.TEXT else None


async def _identify(
    server: LocalDiscord, session: aiohttp.ClientSession, token: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(GATEWAY)
    hello = await _frame(ws)
    assert hello is not None and hello["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": token, "intents": 1 | 128, "properties": {}}})
    return ws


def _channel_of(server: LocalDiscord, town: Town) -> int | None:
    state = server.voice_state(town.guild_id, town.bot.user_id)
    return int(state["channel_id"]) if state is not None else None


async def test_an_unknown_token_is_closed_with_4004(town: Town) -> None:
    server = town.server
    async with aiohttp.ClientSession(connector=build_connector(server.endpoint, server.ca_file)) as session:
        ws = await _identify(server, session, "not-a-token")
        while await _frame(ws) is not None:
            pass
        assert ws.close_code == 4004


async def test_a_second_bot_has_its_own_session_guilds_and_voice_connection(town: Town, start_client: Starter) -> None:
    server = town.server
    worker = server.add_bot("Spaces Audio")
    second_stage = server.add_stage_channel(town.guild_id, "Second Stage")
    server.add_bot_to_guild(town.guild_id, worker, VIEW_CHANNEL | CONNECT)
    main = await start_client(server, town.bot.token)
    other = await start_client(server, worker.token)
    assert other.user is not None and other.user.id == worker.user_id and other.user.bot
    assert other.application_id == worker.application_id != town.bot.application_id
    assert other.get_guild(town.guild_id) is not None

    first = main.get_channel(town.stage)
    second = other.get_channel(second_stage)
    assert isinstance(first, discord.StageChannel) and isinstance(second, discord.StageChannel)
    await first.connect(cls=ReceivingVoiceClient, timeout=10, self_deaf=False, self_mute=True)
    await second.connect(cls=ReceivingVoiceClient, timeout=10, self_deaf=False, self_mute=True)
    on = {user: server.voice_state(town.guild_id, user) for user in (town.bot.user_id, worker.user_id)}
    assert {user: int(state["channel_id"]) for user, state in on.items() if state} == {
        town.bot.user_id: town.stage,
        worker.user_id: second_stage,
    }
    assert on[worker.user_id] is not None and on[worker.user_id]["suppress"]  # a Stage's audience, like anyone
    sessions = [server.voice.session_for(town.guild_id, user) for user in (town.bot.user_id, worker.user_id)]
    assert sessions[0] is not None and sessions[1] is not None and sessions[0].token != sessions[1].token


async def test_a_second_voice_channel_in_one_guild_moves_the_bot(town: Town) -> None:
    server = town.server
    async with aiohttp.ClientSession(connector=build_connector(server.endpoint, server.ca_file)) as session:
        ws = await _identify(server, session, town.bot.token)
        for channel in (town.stage, town.voice):
            await ws.send_json({"op": 4, "d": {"guild_id": str(town.guild_id), "channel_id": str(channel)}})
            await server.wait_for(lambda c=channel: _channel_of(server, town) == c)
        mine = [
            s for s in server.voice.sessions.values() if (s.guild_id, s.user_id) == (town.guild_id, town.bot.user_id)
        ]
        assert len(mine) == 1  # one voice session: the newest server token replaced the first
        states = [s for s in server.guild(town.guild_id).voice_states.values() if s.user_id == town.bot.user_id]
        assert len(states) == 1 and states[0].channel_id == town.voice
        await ws.close()
