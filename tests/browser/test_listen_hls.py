"""The listen page falls back to HLS when WebRTC cannot get through: real Chromium told to send no UDP (as a
locked-down network would), the real bot writing the Space's segments, hls.js from npm playing them, served by
the bot itself or by nginx from Debian on another origin. The page must play the Space's tone, its media clock
must advance, and Pause must stop it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.hls.routes import HLS_JS as HLS_JS_DIR
from bot.web import WebServer
from demo.world import World, open_world
from sandbox.nginx import nginx_binary, serving
from sandbox.speech import encode_opus, tone
from tests.browser.chromium import Chromium, chromium_binary
from tests.browser.test_listen_captions import Page
from tests.e2e.conftest import eventually, live_space, start_space
from tests.missing import CHROMIUM, HLS_JS, NGINX

pytestmark = [
    pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM),
    pytest.mark.skipif(not (HLS_JS_DIR / "hls.light.min.js").is_file(), reason=HLS_JS),
]
NO_UDP = "--webrtc-ip-handling-policy=disable_non_proxied_udp"
STATUS = "document.getElementById('status').textContent"
PLAY_STATE = "[document.getElementById('play').textContent, document.getElementById('play').ariaPressed]"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        yield w
    finally:
        await w.close()


async def plays_the_tone_over_hls(world: World, browser: Chromium) -> None:
    await start_space(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    talk = asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 60.0))))
    page = Page(browser)
    try:
        await browser.open(web.listen_url(space))
        await page.shows("document.getElementById('title')?.textContent", "Friday AMA")
        await browser.evaluate("document.getElementById('play').click()")
        await page.shows("window.spaces.hls === true && window.spaces.connected", True, 60)
        await page.shows(STATUS, "Live over HTTP — you’re listening, a few seconds behind the Stage.")
        assert await browser.evaluate(PLAY_STATE) == ["❚❚ Pause", "true"]

        async def hears_the_tone() -> bool:
            return abs(await browser.evaluate("window.spaces.peakHz()") - 440) < 12

        await eventually(hears_the_tone, timeout=10)
        clock = "document.getElementById('audio').currentTime"
        before = await browser.evaluate(clock)
        await eventually(lambda: _more(browser.evaluate(clock), before + 1.0), timeout=10)

        await browser.evaluate("document.getElementById('play').click()")  # Pause stops HLS too
        assert await browser.evaluate(PLAY_STATE) == ["▶ Play", "false"]
        assert await browser.evaluate("window.spaces.hls") is False
        assert await browser.evaluate("document.getElementById('audio').paused") is True
        await browser.evaluate("document.getElementById('play').click()")  # Play again: straight to HLS
        await page.shows("window.spaces.hls === true && window.spaces.connected", True, 20)
        await eventually(hears_the_tone, timeout=10)
    finally:
        talk.cancel()
        await browser.close()


async def test_without_udp_the_page_plays_the_bots_own_hls(world: World, tmp_path: Path) -> None:
    await world.start_bot(hls_dir=str(tmp_path / "hls"))
    await plays_the_tone_over_hls(world, Chromium(NO_UDP))


@pytest.mark.skipif(nginx_binary() is None, reason=NGINX)
async def test_without_udp_the_page_plays_hls_served_by_nginx(world: World, tmp_path: Path) -> None:
    root = tmp_path / "hls"
    root.mkdir()
    async with serving(root, tmp_path / "nginx") as base:
        await world.start_bot(hls_dir=str(root), hls_base_url=base)
        await plays_the_tone_over_hls(world, Chromium(NO_UDP))


async def _more(value: object, than: float) -> bool:
    return float(await value) > than  # type: ignore[misc]
