"""What the listen page needs for HLS, on the bot's web server.

    GET /spaces/{id}/hls.json      {"playlist": URL or null, "player": hls.js's URL or null, "reason": text,
                                   "broadcast": true/false, "page": URL or null}: the playlist is null while
                                   the first segment is not out yet (ask again), or for good (the reason says
                                   why); broadcast: HLS only; page: the page's state as a file beside the
                                   playlist (bot/hls/page_files.py)
    GET /static/hls/hls.js         hls.js from npm (``.cache/npm``, put there by scripts/install)
    GET /static/hls/listen_hls.js  the page's HLS player (bot/web/static/listen_hls.js)
    GET /hls/{id}/{file}           the stream's files, when no HLS_BASE_URL sends members to nginx or a CDN

The files are served with the caching a CDN should apply too: the playlist never (it changes every segment),
the header and the segments for a day (a segment's name is never reused within a stream), the page's state for
a second (every page of a broadcast polls it).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Final

from aiohttp import web

from bot.audio.rooms import AudioRooms
from bot.hls.streams import LOCAL_PATH, HlsStreams

__all__ = ["HLS_JS", "add_hls_routes", "add_page_script"]

HLS_JS: Final = Path(__file__).resolve().parents[2] / ".cache" / "npm" / "node_modules" / "hls.js" / "dist"
_PLAYER: Final = "hls.light.min.js"  # audio only: the light build leaves out subtitles, alternate audio, DRM
_FILE: Final = re.compile(r"index\.m3u8|init\.mp4|seg[0-9]{1,9}\.m4s|page\.json")
_SPACE: Final = re.compile(r"[0-9A-Za-z_-]{1,64}")
_TYPES: Final = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "audio/mp4",
    ".m4s": "video/iso.segment",
    ".json": "application/json",
}
Ticketed = Callable[[str], Awaitable[bool]]


def add_page_script(app: web.Application) -> None:
    """The page's HLS player script, served with HLS off too: it then finds no `hls.json` and the page uses WebRTC."""
    script = resources.files("bot.web").joinpath("static").joinpath("listen_hls.js")

    async def listen_hls_js(request: web.Request) -> web.Response:
        text = script.read_text(encoding="utf-8")
        return web.Response(text=text, content_type="text/javascript", headers={"Cache-Control": "no-cache"})

    app.router.add_get("/static/hls/listen_hls.js", listen_hls_js)


def add_hls_routes(streams: HlsStreams, audio: AudioRooms, ticketed: Ticketed) -> Callable[[web.Application], None]:
    """`ticketed(space_id)`: whether the live Space sells tickets (then it has no HLS, and the page says why)."""
    player = HLS_JS / _PLAYER

    async def about(request: web.Request) -> web.Response:
        space_id = request.match_info["space_id"]
        room = audio.get(space_id)
        if room is None:
            raise web.HTTPNotFound(text="This Space is not live.")
        body: dict[str, str | bool | None] = {"playlist": streams.playlist_url(space_id), "reason": None}
        body["broadcast"] = room.space.broadcast
        body["page"] = streams.page_url(space_id)
        body["player"] = "/static/hls/hls.js" if player.is_file() else None
        if body["player"] is None:
            body["reason"] = "This server cannot play the audio over HTTP (its HLS player is not installed)."
        elif not streams.streaming(space_id) and await ticketed(space_id):
            body["reason"] = "Ticketed Spaces are only on WebRTC, so that tickets stay personal."
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    async def hls_js(request: web.Request) -> web.StreamResponse:
        if not player.is_file():
            raise web.HTTPNotFound(text="hls.js is not installed: run `bash scripts/install` (npm).")
        return web.FileResponse(player, headers={"Content-Type": "text/javascript", "Cache-Control": "max-age=3600"})

    async def stream_file(request: web.Request) -> web.StreamResponse:
        space_id, name = request.match_info["space_id"], request.match_info["name"]
        path = streams.root / space_id / name
        if not _SPACE.fullmatch(space_id) or not _FILE.fullmatch(name) or not path.is_file():
            raise web.HTTPNotFound(text="No such HLS file: it may have left the live window, or the Space ended.")
        suffix = path.suffix
        cache = {".m3u8": "no-cache", ".json": "max-age=1"}.get(suffix, "max-age=86400")
        return web.FileResponse(path, headers={"Content-Type": _TYPES[suffix], "Cache-Control": cache})

    def add_routes(app: web.Application) -> None:
        app.router.add_get("/spaces/{space_id}/hls.json", about)
        app.router.add_get("/static/hls/hls.js", hls_js)
        add_page_script(app)
        if streams.serves_locally:
            app.router.add_get(LOCAL_PATH + "/{space_id}/{name}", stream_file)
        app.on_startup.append(lambda app: streams.start())
        app.on_cleanup.append(lambda app: streams.stop())

    return add_routes
