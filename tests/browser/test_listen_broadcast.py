"""Broadcast: a host types `/space broadcast on`, and the listen page then plays HLS only, taking no WebRTC slot
(real bot, real sandbox Discord, real Chromium with UDP allowed, hls.js from npm); a listener may not switch it and
is told why; a bot without HLS says it cannot broadcast."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.hls.routes import HLS_JS as HLS_JS_DIR
from bot.web import WebServer
from demo.world import World
from sandbox.speech import encode_opus, tone
from tests.browser.chromium import Chromium, chromium_binary
from tests.browser.test_listen_captions import Page
from tests.browser.test_listen_hls import world
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_audio_receive import room_of
from tests.missing import CHROMIUM, HLS_JS

pytestmark = [
    pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM),
    pytest.mark.skipif(not (HLS_JS_DIR / "hls.light.min.js").is_file(), reason=HLS_JS),
]
__all__ = ["world"]  # the fixture: a world whose bot each test starts with its HLS settings
PLAYING_HLS = "window.spaces.hls === true && window.spaces.connected"


async def test_a_broadcast_space_plays_over_hls_only(world: World, tmp_path: Path) -> None:
    await world.start_bot(hls_dir=str(tmp_path / "hls"), recordings_dir=str(tmp_path / "recordings"))
    await start_space(world)
    room = await room_of(world)
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
    refused = await world.slash(world.stage_id, world["lee"], "space broadcast", mode="on")
    assert "Only the host or a co-host can turn broadcast on or off." in (refused.content or "")
    assert not (await live_space(world)).broadcast
    answer = await world.slash(world.stage_id, world["hana"], "space broadcast", mode="on")
    assert "This Space is broadcast" in (answer.content or ""), answer.content
    space = await live_space(world)
    assert space.broadcast
    await eventually(lambda: _true(room.space.broadcast))  # the room follows the committed Space

    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    async with aiohttp.ClientSession() as http, http.post(f"{web.listen_url(space)}/offer", json={"sdp": "v=0"}) as r:
        assert r.status == 409 and "broadcast" in await r.text()  # no WebRTC slot, whatever a client sends

    talk = asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 60.0))))
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(web.listen_url(space))
        await page.shows("document.getElementById('title')?.textContent", "Friday AMA")
        await browser.evaluate("document.getElementById('play').click()")
        await page.shows(PLAYING_HLS, True, 30)
        await eventually(lambda: _near(browser.evaluate("window.spaces.peakHz()"), 440), timeout=10)
        assert room.listeners.count == 0

        off = await world.slash(world.stage_id, world["hana"], "space broadcast", mode="off")
        assert "Broadcast is off" in (off.content or "")
        await browser.evaluate("document.getElementById('play').click()")  # Pause
        await eventually(lambda: _true(not room.space.broadcast))
        await browser.evaluate("document.getElementById('play').click()")  # Play: WebRTC again
        await page.shows("window.spaces.hls === false && window.spaces.connected", True, 20)
        await eventually(lambda: _true(room.listeners.count == 1))
    finally:
        talk.cancel()
        await browser.close()


async def test_a_broadcast_pages_state_comes_from_the_hls_origin_not_the_bot(world: World, tmp_path: Path) -> None:
    """A broadcast's pages hold no event stream to the bot: they poll page.json beside the playlist, which the bot
    writes once per change (bot/hls/page_files.py), and still follow the Space to its end."""
    hls_dir = tmp_path / "hls"
    await world.start_bot(hls_dir=str(hls_dir), recordings_dir=str(tmp_path / "recordings"))
    await start_space(world)
    room = await room_of(world)
    await world.slash(world.stage_id, world["hana"], "space broadcast", mode="on")
    await eventually(lambda: _true(room.space.broadcast))
    talk = asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 60.0))))
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    page_file = hls_dir / room.space.id / "page.json"
    await eventually(lambda: _true(page_file.is_file()), timeout=20)  # once the first segment made the directory
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(web.listen_url(room.space))
        await page.shows("document.getElementById('title')?.textContent", "Friday AMA")
        await page.shows("window.spaces.stateOverHttp === true", True)
        assert web.pages.readers(room.space.id) == 1  # the page file's writer alone: no stream of the page's own
        async with aiohttp.ClientSession() as http, http.get(web.base_url + f"/hls/{room.space.id}/page.json") as r:
            assert r.status == 200 and r.headers["Cache-Control"] == "max-age=1"
            assert (await r.json())["state"]["title"] == "Friday AMA"
        listeners = "document.getElementById('listeners').textContent"
        before = await browser.evaluate(listeners)
        await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
        await eventually(lambda: _changed(browser.evaluate(listeners), before), timeout=15)  # a change, by file
        await world.slash(world.stage_id, world["hana"], "space end")
        await page.shows("document.body.dataset.state", "ended", 20)
    finally:
        talk.cancel()
        await browser.close()


async def test_a_bot_without_hls_cannot_broadcast(world: World, tmp_path: Path) -> None:
    await world.start_bot(recordings_dir=str(tmp_path / "recordings"))
    await start_space(world)
    answer = await world.slash(world.stage_id, world["hana"], "space broadcast", mode="on")
    assert "This bot has no HLS" in (answer.content or ""), answer.content
    assert not (await live_space(world)).broadcast


async def _true(value: bool) -> bool:
    await asyncio.sleep(0)
    return value


async def _near(value: object, hz: float) -> bool:
    return abs(float(await value) - hz) < 12  # type: ignore[misc]


async def _changed(value: object, before: object) -> bool:
    return await value != before  # type: ignore[misc]
