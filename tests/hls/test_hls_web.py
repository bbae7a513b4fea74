"""HLS through the bot's own web server, with the real audio rooms' 20 ms heartbeat: a public live Space's
playlist appears and is served with the right types and caching, names outside the stream are refused, the end
closes the playlist and the sweep deletes it later; a ticketed Space gets no HLS at all, and the page is told why."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bot.audio.rooms import AudioRooms
from bot.hls.routes import HLS_JS, add_hls_routes
from bot.hls.streams import HlsStreams
from bot.web import LinkSigner, WebServer
from spaces_core.domain.space import Space
from tests.e2e.conftest import eventually
from tests.unit.builders import live_space

LOOPBACK = "127.0.0.1"


@contextlib.asynccontextmanager
async def site(root: Path, *, ticketed: bool) -> AsyncIterator[tuple[str, AudioRooms]]:
    async def is_ticketed(space: Space) -> bool:
        return ticketed

    async def ticketed_id(space_id: str) -> bool:
        return ticketed

    audio = AudioRooms(web_host=LOOPBACK)
    streams = HlsStreams(root, base_url="", ticketed=is_ticketed, segment_seconds=0.2, linger=1.0, sweep_interval=0.2)
    streams.watch(audio)
    routes = [add_hls_routes(streams, audio, ticketed_id)]
    web = WebServer(audio, LinkSigner("secret"), host=LOOPBACK, port=0, name_of=lambda g, u: str(u), more_routes=routes)
    await web.start()
    try:
        yield web.base_url, audio
    finally:
        await web.stop()
        await audio.stop()


async def about(http: aiohttp.ClientSession, url: str) -> dict[str, str | None]:
    async with http.get(url) as answer:
        assert answer.status == 200
        body: dict[str, str | None] = await answer.json()
        return body


async def test_a_public_space_streams_until_its_end_and_is_swept_after(tmp_path: Path) -> None:
    async with site(tmp_path, ticketed=False) as (base, audio), aiohttp.ClientSession() as http:
        space = audio.open(live_space()).space
        info_url = f"{base}/spaces/{space.id}/hls.json"
        playlist: list[str | None] = [None]

        async def listed() -> bool:
            playlist[0] = (await about(http, info_url))["playlist"]
            return playlist[0] is not None

        await eventually(listed, timeout=10)
        assert playlist[0] == f"/hls/{space.id}/index.m3u8"
        async with http.get(base + playlist[0]) as answer:
            assert answer.status == 200
            assert answer.content_type == "application/vnd.apple.mpegurl"
            assert answer.headers["Cache-Control"] == "no-cache"
            assert "seg0.m4s" in await answer.text()
        for name, kind in (("init.mp4", "audio/mp4"), ("seg0.m4s", "video/iso.segment")):
            async with http.get(f"{base}/hls/{space.id}/{name}") as answer:
                assert (answer.status, answer.content_type) == (200, kind)
                assert answer.headers["Cache-Control"] == "max-age=86400"
        for bad in ("notes.txt", "seg-1.m4s", "..%2F..%2Fspaces.db", ".index.m3u8.tmp"):
            async with http.get(f"{base}/hls/{space.id}/{bad}") as answer:
                assert answer.status == 404, bad
        async with http.get(f"{base}/static/hls/listen_hls.js") as answer:
            assert answer.status == 200 and "spacesHls" in await answer.text()
        if (HLS_JS / "hls.light.min.js").is_file():
            assert (await about(http, info_url))["player"] == "/static/hls/hls.js"
            async with http.get(f"{base}/static/hls/hls.js") as answer:
                assert answer.status == 200 and answer.content_type == "text/javascript"

        await audio.close(space.id)
        stream = tmp_path / space.id

        async def ended() -> bool:
            index = stream / "index.m3u8"
            return index.exists() and index.read_text().endswith("#EXT-X-ENDLIST\n")

        await eventually(ended, timeout=5)
        async with http.get(info_url) as answer:
            assert answer.status == 404  # no longer live: the page shows its end
        await eventually(lambda: _gone(stream), timeout=10)  # linger (1 s here) after the last playlist write


async def test_a_ticketed_space_gets_no_hls_and_the_page_is_told_why(tmp_path: Path) -> None:
    async with site(tmp_path, ticketed=True) as (base, audio), aiohttp.ClientSession() as http:
        room = audio.open(live_space())
        target = room.hub.subscribe()
        for _ in range(30):  # 0.6 s of heartbeats: public Spaces have a segment by now (0.2 s segments)
            await target.recv()
        body = await about(http, f"{base}/spaces/{room.space.id}/hls.json")
        assert body["playlist"] is None
        if body["player"] is not None:  # (without hls.js installed, that is the reason given first)
            assert body["reason"] == "Ticketed Spaces are only on WebRTC, so that tickets stay personal."
        assert not (tmp_path / room.space.id).exists()
        async with http.get(f"{base}/hls/{room.space.id}/index.m3u8") as answer:
            assert answer.status == 404


async def test_an_unknown_space_has_no_hls(tmp_path: Path) -> None:
    async with (
        site(tmp_path, ticketed=False) as (base, _),
        aiohttp.ClientSession() as http,
        http.get(f"{base}/spaces/nope/hls.json") as answer,
    ):
        assert answer.status == 404
        assert await answer.text() == "This Space is not live."


async def _gone(path: Path) -> bool:
    await asyncio.sleep(0)
    return not path.exists()
