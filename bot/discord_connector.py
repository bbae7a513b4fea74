"""Point every Discord connection of discord.py at another host:port, without touching discord.py.

discord.py sends all its traffic through one ``aiohttp.ClientSession`` built on the connector given to
``discord.Client(connector=...)``:

- REST: ``Route.BASE`` is ``https://discord.com/api/v10`` (``HTTPClient.request``);
- interaction callbacks and follow-ups: the webhook adapter reuses that same session;
- the gateway: ``wss://gateway.discord.gg/`` (``DiscordWebSocket.DEFAULT_GATEWAY``, then the
  ``resume_gateway_url`` from READY) through ``HTTPClient.ws_connect``;
- the voice websocket: ``wss://{endpoint}/?v=8`` where ``endpoint`` comes from VOICE_SERVER_UPDATE
  (``voice.discord.media:443`` style), again through ``HTTPClient.ws_connect``.

So a resolver that answers "127.0.0.1, port N" for Discord's host names, plus an SSL context that trusts the
local server's CA, moves all of it. Voice UDP is not affected: its address comes from the voice READY payload,
which the local server fills with its own IP and port.

The connector must be created inside a running event loop (aiohttp binds it to the loop), for example in
``setup_hook``'s caller or an ``async def main()`` — discord.py only opens its session in ``login()``.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

__all__ = ["DISCORD_DOMAINS", "DiscordRedirectResolver", "build_connector", "is_discord_host"]

# Exact names and parent domains (any sub-domain matches) that discord.py may contact.
DISCORD_DOMAINS: tuple[str, ...] = (
    "discord.com",
    "discord.gg",
    "discord.media",
    "discordapp.com",
    "discordapp.net",
)


def is_discord_host(host: str) -> bool:
    host = host.rstrip(".").lower()
    return any(host == domain or host.endswith("." + domain) for domain in DISCORD_DOMAINS)


class DiscordRedirectResolver(AbstractResolver):
    """Resolves Discord host names to a fixed (ip, port); everything else goes to the default resolver."""

    def __init__(self, ip: str, port: int) -> None:
        self._ip = ip
        self._port = port
        self._fallback = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if not is_discord_host(host):
            return await self._fallback.resolve(host, port, family)
        # The port in the result is what aiohttp connects to, which is how :443 becomes the local port.
        if not _is_ip(self._ip):  # e.g. "localhost:8443": resolve the target, keep our port
            targets = await self._fallback.resolve(self._ip, self._port, family)
            return [{**target, "hostname": host, "port": self._port} for target in targets]
        return [
            ResolveResult(
                hostname=host,
                host=self._ip,
                port=self._port,
                family=socket.AF_INET6 if ":" in self._ip else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        await self._fallback.close()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _split_endpoint(endpoint: str) -> tuple[str, int]:
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"Discord endpoint must look like 'host:port', got {endpoint!r}")
    return host.strip("[]"), int(port)


def build_connector(endpoint: str | None, ca_file: str | None) -> aiohttp.TCPConnector | None:
    """Return a connector sending Discord traffic to ``endpoint``, or None to talk to the real Discord.

    Call it with a running event loop. ``ca_file`` is the PEM of the CA that signed the local server's
    certificate; the system store is also trusted so non-Discord hosts keep working.
    """
    if not endpoint:
        return None
    ip, port = _split_endpoint(endpoint)
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return aiohttp.TCPConnector(resolver=DiscordRedirectResolver(ip, port), ssl=context, limit=0)
