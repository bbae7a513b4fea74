"""A listen page asked of the wrong bot process: redirected to the process that runs the Space (sharding).

Each process serves the audio of its own guilds' Spaces only (the Stage connection, the mix and the WebRTC
listeners live there, and the replay files it recorded). A request for `/spaces/{id}` or `/replays/{id}` or
anything under them that names a Space of another process's guild is answered `307 Temporary Redirect` to the
same path and query at that process's web address (307 keeps an offer's method and body). A redirect rather than
a proxy: the listener's audio then flows from the owner directly, and this process carries none of it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["OwnerOf", "redirect_to_owner"]

# A Space id (live or scheduled) to the base URL of the process that must answer for it, or None: answer here.
OwnerOf = Callable[[str], Awaitable[str | None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SPACE_PATH = re.compile(r"^/(?:spaces|replays)/(?P<space_id>[A-Za-z0-9_-]{1,64})(?:/|$)")


def redirect_to_owner(owner_of: OwnerOf) -> Callable[[web.Application], None]:
    """An `add_routes` for the web server: its middleware sends other processes' Spaces to their owner."""

    @web.middleware
    async def to_owner(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        match = _SPACE_PATH.match(request.path)
        if match is not None:
            owner = await owner_of(match["space_id"])
            if owner is not None:
                raise web.HTTPTemporaryRedirect(owner.rstrip("/") + request.path_qs)
        return await handler(request)

    def add(app: web.Application) -> None:
        app.middlewares.append(to_owner)

    return add
