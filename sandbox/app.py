"""The aiohttp application: REST under /api/v10, and on "/" the gateway or the voice websocket.

Both websockets live on the same port as REST: the connector sends gateway.discord.gg and
voice.discord.media to it alike, so we tell them apart by host name, then by the version discord.py asks
for (gateway ``v=10``, voice ``v=8``).
"""

from __future__ import annotations

from aiohttp import web

from sandbox.gateway import GatewayHub
from sandbox.rest import CTX_KEY, RestContext, add_api_routes, middlewares
from sandbox.voice import VoiceServer

__all__ = ["build_app"]


def _is_voice(request: web.Request) -> bool:
    host = (request.host or "").split(":")[0].lower()
    if host.endswith("discord.media"):
        return True
    return request.query.get("v") == "8" and not host.startswith("gateway")


def build_app(rest: RestContext, hub: GatewayHub, voice: VoiceServer) -> web.Application:
    async def websocket(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise web.HTTPNotFound()
        if _is_voice(request):
            return await voice.handle(request)
        return await hub.handle(request)

    app = web.Application(middlewares=middlewares, client_max_size=64 * 1024 * 1024)
    app[CTX_KEY] = rest
    app.router.add_get("/", websocket)
    add_api_routes(app.router)
    return app
