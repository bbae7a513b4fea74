"""Replays of recorded Spaces on the bot's web server.

    GET /replays/{id}            a page with a seekable <audio> player
    GET /replays/{id}/audio.ogg  the Ogg/Opus file; aiohttp's FileResponse answers Range requests (206), so the
                                 player seeks without downloading the whole replay

Only ended Spaces: while a Space is live its file is still being written, and a deleted replay has no file.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

__all__ = ["add_replay_routes", "replay_path"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Replay</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto}}audio{{width:100%}}</style>
</head><body><h1>Replay of a Space</h1>
<audio id="replay" controls preload="metadata" src="{src}"></audio>
<p><a href="{src}" download>Download (Ogg/Opus)</a></p>
</body></html>
"""


def replay_path(space_id: str) -> str:
    return f"/replays/{space_id}"


def add_replay_routes(
    app: web.Application, file_of: Callable[[str], Path | None], is_live: Callable[[str], bool]
) -> None:
    """`file_of(space_id)`: the replay's file if it exists; `is_live(space_id)`: still being recorded."""

    def replay_file(request: web.Request) -> tuple[str, Path]:
        space_id = request.match_info["space_id"]
        path = None if is_live(space_id) else file_of(space_id)
        if path is None:
            raise web.HTTPNotFound(text="There is no replay of this Space.")
        return space_id, path

    async def page(request: web.Request) -> web.Response:
        space_id, _ = replay_file(request)
        src = html.escape(f"{replay_path(space_id)}/audio.ogg")
        return web.Response(text=_PAGE.format(src=src), content_type="text/html")

    async def audio(request: web.Request) -> web.FileResponse:
        _, path = replay_file(request)
        return web.FileResponse(path, headers={"Content-Type": "audio/ogg", "Accept-Ranges": "bytes"})

    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}", page)
    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}/audio.ogg", audio)
