"""Fixtures: a fresh local Discord per test, a populated guild, real discord.py clients connected to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import discord
import pytest

from bot.discord_connector import build_connector
from sandbox import ALL, BotAccount, LocalDiscord

MODERATOR = (1 << 4) | (1 << 22) | (1 << 24)  # Manage Channels, Mute Members, Move Members


@dataclass
class Town:
    server: LocalDiscord
    bot: BotAccount
    guild_id: int
    owner: int
    alice: int
    bob: int
    chat: int
    stage: int
    voice: int


@pytest.fixture
async def server() -> AsyncIterator[LocalDiscord]:
    local = LocalDiscord()
    await local.start()
    try:
        yield local
    finally:
        await local.stop()


def populate(server: LocalDiscord, bot_permissions: int = ALL) -> Town:
    bot = server.add_bot("Spaces")
    guild = server.add_guild("Town", community=True, owner_name="Owner")
    mods = server.add_role(guild.id, "Mods", MODERATOR)
    alice = server.add_member(guild.id, "alice", roles=[mods])
    bob = server.add_member(guild.id, "bob")
    chat = server.add_text_channel(guild.id, "chat")
    stage = server.add_stage_channel(guild.id, "Stage")
    voice = server.add_voice_channel(guild.id, "Lounge")
    server.add_bot_to_guild(guild.id, bot, bot_permissions)
    return Town(server, bot, guild.id, guild.owner_id, alice, bob, chat, stage, voice)


@pytest.fixture
def town(server: LocalDiscord) -> Town:
    return populate(server)


def intents() -> discord.Intents:
    wanted = discord.Intents.default()
    wanted.members = True
    wanted.message_content = True
    return wanted


Starter = Callable[..., Awaitable[discord.Client]]


@pytest.fixture
async def start_client() -> AsyncIterator[Starter]:
    """Log a discord.py client in against the server and wait for READY; closes it after the test."""
    running: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def start(server: LocalDiscord, token: str, client: discord.Client | None = None) -> discord.Client:
        if client is None:
            connector = build_connector(server.endpoint, server.ca_file)
            client = discord.Client(intents=intents(), connector=connector, guild_ready_timeout=0.1)
        await client.login(token)
        task = asyncio.create_task(client.connect(reconnect=False))
        running.append((client, task))
        await asyncio.wait_for(client.wait_until_ready(), 10)
        return client

    yield start
    for client, task in running:
        await client.close()
        await asyncio.wait_for(task, 5)
