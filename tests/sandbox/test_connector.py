"""The bot's connector: which hosts it redirects, and to which port."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.discord_connector import DiscordRedirectResolver, build_connector, is_discord_host
from sandbox import LocalDiscord


@pytest.mark.parametrize(
    "host",
    [
        "discord.com",
        "gateway.discord.gg",
        "voice.discord.media",
        "cdn.discordapp.com",
        "media.discordapp.net",
    ],
)
def test_discord_hosts_are_redirected(host: str) -> None:
    assert is_discord_host(host)


@pytest.mark.parametrize("host", ["example.com", "notdiscord.com", "discord.com.evil.net", "api.stripe.com"])
def test_other_hosts_are_not(host: str) -> None:
    assert not is_discord_host(host)


async def test_no_endpoint_means_real_discord() -> None:
    assert build_connector(None, None) is None
    assert build_connector("", None) is None


async def test_resolver_keeps_the_name_and_swaps_the_port() -> None:
    resolver = DiscordRedirectResolver("127.0.0.1", 8443)
    [result] = await resolver.resolve("voice.discord.media", 443, socket.AF_INET)
    await resolver.close()
    assert (result["hostname"], result["host"], result["port"]) == ("voice.discord.media", "127.0.0.1", 8443)


async def test_plain_aiohttp_reaches_the_local_api(server: LocalDiscord) -> None:
    bot = server.add_bot("Spaces")
    connector = build_connector(server.endpoint, server.ca_file)
    async with aiohttp.ClientSession(connector=connector) as session:
        headers = {"Authorization": f"Bot {bot.token}"}
        async with session.get("https://discord.com/api/v10/users/@me", headers=headers) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert (await response.json())["id"] == str(bot.user_id)
        async with session.get("https://discord.com/api/v10/nowhere", headers=headers) as missing:
            assert missing.status == 404
            assert (await missing.json())["code"] == 0
        async with session.get("https://discord.com/api/v10/users/@me") as anonymous:
            assert anonymous.status == 401
