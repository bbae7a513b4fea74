"""A local Discord-compatible server (REST, gateway, voice) for tests and the offline demo.

Standalone: imports neither the bot nor discord.py. The real discord.py client talks to it through the
connector built by ``bot.discord_connector.build_connector(server.endpoint, server.ca_file)``.
"""

from sandbox.errors import ConnectRefused
from sandbox.harness import BotAccount, LocalDiscord
from sandbox.interactions import InteractionRecord
from sandbox.permissions import ALL, DEFAULT_EVERYONE

__all__ = ["ALL", "DEFAULT_EVERYONE", "BotAccount", "ConnectRefused", "InteractionRecord", "LocalDiscord"]
