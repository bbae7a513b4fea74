"""Replays of recorded Spaces on the bot's web server, behind personal expiring links (``purpose="replay"``).

    GET /replays/{id}?token=…            a page with a seekable <audio> player
    GET /replays/{id}/audio.ogg?token=…  the Ogg/Opus file; aiohttp's FileResponse answers Range requests (206), so
                                         the player seeks without downloading the whole replay

The link is checked before anything else, so a forged or expired one learns nothing (403 with the reason, whether
or not a replay exists). Only ended Spaces: while a Space is live its parts are still being written, and a
deleted replay has no file (404).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.web.links import LinkRefused, LinkSigner

__all__ = ["add_replay_routes", "replay_path"]

# The token is in the page's URL: never send it on as a Referer, never keep the page in a shared cache.
_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Replay</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto}}audio{{width:100%}}</style>
</head><body><h1>Replay of a Space</h1>
<audio id="replay" controls preload="metadata" src="{src}"></audio>
<p><a href="{src}" download="replay.ogg">Download (Ogg/Opus)</a></p>
</body></html>
"""


def replay_path(space_id: str, token: str) -> str:
    return f"/replays/{space_id}?token={quote(token, safe='')}"


def add_replay_routes(
    app: web.Application,
    signer: LinkSigner,
    file_of: Callable[[str], Path | None],
    is_live: Callable[[str], bool],
) -> None:
    """`file_of(space_id)`: the replay's file if it exists; `is_live(space_id)`: still being recorded."""

    def replay_file(request: web.Request) -> tuple[str, str, Path]:
        space_id, token = request.match_info["space_id"], request.query.get("token", "")
        try:
            signer.verify(token, space_id, purpose="replay")
        except LinkRefused as refused:
            raise web.HTTPForbidden(text=str(refused), headers=_PRIVATE) from None
        path = None if is_live(space_id) else file_of(space_id)
        if path is None:
            raise web.HTTPNotFound(text="There is no replay of this Space (it was deleted, or is not ready yet).")
        return space_id, token, path

    async def page(request: web.Request) -> web.Response:
        space_id, token, _ = replay_file(request)
        src = html.escape(f"/replays/{space_id}/audio.ogg?token={quote(token, safe='')}")
        return web.Response(text=_PAGE.format(src=src), content_type="text/html", headers=_PRIVATE)

    async def audio(request: web.Request) -> web.FileResponse:
        _, _, path = replay_file(request)
        headers = {"Content-Type": "audio/ogg", "Accept-Ranges": "bytes", "Cache-Control": "private"}
        return web.FileResponse(path, headers=headers)

    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}", page)
    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}/audio.ogg", audio)
