"""Replays of recorded Spaces on the bot's web server, behind personal expiring links (``purpose="replay"``).

    GET /replays/{id}?token=…[&t=SECONDS]      a page with a seekable <audio> player and the transcript beside it
                                               (``static/replay.html``); ``t`` starts playback at that second
    GET /replays/{id}/audio.ogg?token=…        the Ogg/Opus file; aiohttp's FileResponse answers Range requests
                                               (206), so the player seeks without downloading the whole replay
    GET /replays/{id}/transcript.json?token=…  {"lines": [{"at", "end", "name", "text"}]}: the phrases said while
                                               it was recorded, ``at`` in seconds into the replay

The link is checked before anything else, so a forged or expired one learns nothing (403 with the reason, whether
or not a replay exists). Only ended Spaces: while a Space is live its parts are still being written, and a
deleted replay has no file (404). The transcript answers to the same link, and to the member it was issued to only
while they may still hear the Space (a refunded ticket closes it: 403).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web.links import LinkRefused, LinkSigner

__all__ = ["TranscriptOf", "add_replay_routes", "replay_path"]

# The token is in the page's URL: never send it on as a Referer, never keep the page in a shared cache.
_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
TranscriptOf = Callable[[str, int], Awaitable[list[dict[str, Any]] | None]]  # None: this member may not read it


def replay_path(space_id: str, token: str) -> str:
    return f"/replays/{space_id}?token={quote(token, safe='')}"


def add_replay_routes(
    app: web.Application,
    signer: LinkSigner,
    file_of: Callable[[str], Path | None],
    is_live: Callable[[str], bool],
    transcript_of: TranscriptOf | None = None,
) -> None:
    """`file_of(space_id)`: the replay's file if it exists; `is_live(space_id)`: still being recorded;
    `transcript_of(space_id, member_id)`: the lines beside the player (none without it)."""
    template = resources.files("bot.web").joinpath("static/replay.html").read_text(encoding="utf-8")

    def replay_file(request: web.Request) -> tuple[str, str, int, Path]:
        space_id, token = request.match_info["space_id"], request.query.get("token", "")
        try:
            member = signer.verify(token, space_id, purpose="replay")
        except LinkRefused as refused:
            raise web.HTTPForbidden(text=str(refused), headers=_PRIVATE) from None
        path = None if is_live(space_id) else file_of(space_id)
        if path is None:
            raise web.HTTPNotFound(text="There is no replay of this Space (it was deleted, or is not ready yet).")
        return space_id, token, member, path

    async def page(request: web.Request) -> web.Response:
        space_id, token, _, _ = replay_file(request)
        signed = f"?token={quote(token, safe='')}"
        src = html.escape(f"/replays/{space_id}/audio.ogg{signed}")
        lines = html.escape(f"/replays/{space_id}/transcript.json{signed}")
        text = template.replace("%SRC%", src).replace("%LINES%", lines)
        return web.Response(text=text, content_type="text/html", headers=_PRIVATE)

    async def transcript(request: web.Request) -> web.Response:
        space_id, _, member, _ = replay_file(request)
        lines = await transcript_of(space_id, member) if transcript_of is not None else []
        if lines is None:
            raise web.HTTPForbidden(text="This link's member may no longer hear this Space.", headers=_PRIVATE)
        return web.json_response({"lines": lines}, headers=_PRIVATE)

    async def audio(request: web.Request) -> web.FileResponse:
        _, _, _, path = replay_file(request)
        headers = {"Content-Type": "audio/ogg", "Accept-Ranges": "bytes", "Cache-Control": "private"}
        return web.FileResponse(path, headers=headers)

    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}", page)
    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}/audio.ogg", audio)
    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}/transcript.json", transcript)
