"""The REST API under /api/v10 that discord.py uses, one module per area."""

from __future__ import annotations

from aiohttp import web

from sandbox.rest import basics, guilds, interactions, members, messages, roles, stage
from sandbox.rest.context import CTX_KEY, RateLimitConfig, RestContext, middlewares

__all__ = ["CTX_KEY", "RateLimitConfig", "RestContext", "add_api_routes", "middlewares"]


def add_api_routes(router: web.UrlDispatcher) -> None:
    for module in (basics, messages, guilds, roles, members, interactions, stage):
        module.add_routes(router)
