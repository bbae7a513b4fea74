"""A real browser: headless Debian chromium opens the listen page, presses Play, and hears the Space's tone; the
button is a real Play/Pause toggle, and the volume slider drives the audio element."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from demo.world import World, open_world
from sandbox.speech import encode_opus, tone
from tests.browser.chromium import Chromium, chromium_binary
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_audio_receive import room_of
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
PLAY_STATE = "[document.getElementById('play').textContent, document.getElementById('play').ariaPressed]"
WEB_LISTENERS = "document.getElementById('listeners').textContent.split(' · ')[1]"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await w.start_bot()
        yield w
    finally:
        await w.close()


async def test_chromium_plays_the_space_and_lights_the_speaker(world: World) -> None:
    await start_space(world)
    room = await room_of(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert web is not None
    talk = asyncio.create_task(world.server.speak(world.guild_id, world["hana"], encode_opus(tone(440, 30.0))))
    browser = Chromium()
    try:
        await browser.open(web.listen_url(space))
        await eventually(lambda: browser.evaluate("document.getElementById('title')?.textContent === 'Friday AMA'"))
        assert await browser.evaluate(PLAY_STATE) == ["▶ Play", "false"]
        await browser.evaluate("document.getElementById('play').click()")
        assert await browser.evaluate(PLAY_STATE) == ["❚❚ Pause", "true"]  # a real toggle, at once
        await eventually(lambda: browser.evaluate("window.spaces.connected"), timeout=15)
        status = "document.getElementById('status').textContent"
        await eventually(lambda: _equals(browser.evaluate(status), "Live — you’re listening."))

        async def hears_the_tone() -> bool:
            return abs(await browser.evaluate("window.spaces.peakHz()") - 440) < 12

        await eventually(hears_the_tone, timeout=8)
        assert await browser.evaluate("document.getElementById('audio').paused") is False
        # What the browser decodes came through the per-packet fan-out, not aiortc's sender.
        assert room.listeners.fanout is not None and room.listeners.fanout.count == 1
        lit = "Array.from(document.querySelectorAll('li.speaking .name')).map(e => e.textContent)"
        await eventually(lambda: _equals(browser.evaluate(lit), ["hana"]), timeout=5)
        await eventually(lambda: _equals(browser.evaluate(WEB_LISTENERS), "1 on the web"))

        # Volume: the labelled range drives the audio element's volume.
        assert await browser.evaluate("document.querySelector('label[for=volume]').textContent") == "Volume"
        await browser.evaluate(
            "(() => { const v = document.getElementById('volume'); v.value = 40;"
            " v.dispatchEvent(new Event('input')); })()"
        )
        assert await browser.evaluate("document.getElementById('audio').volume") == pytest.approx(0.4)

        # Pause: the audio stops and the bot's web listener goes; Play again brings the tone back.
        await browser.evaluate("document.getElementById('play').click()")
        assert await browser.evaluate(PLAY_STATE) == ["▶ Play", "false"]
        assert await browser.evaluate("document.getElementById('audio').paused") is True
        await eventually(lambda: _equals(browser.evaluate(WEB_LISTENERS), "0 on the web"))
        assert room.listeners.count == 0
        await browser.evaluate("document.getElementById('play').click()")
        await eventually(lambda: browser.evaluate("window.spaces.connected"), timeout=15)
        await eventually(hears_the_tone, timeout=8)
        assert await browser.evaluate("document.getElementById('audio').volume") == pytest.approx(0.4)
    finally:
        talk.cancel()
        await asyncio.gather(talk, return_exceptions=True)
        await browser.close()


async def _equals(value: object, expected: object) -> bool:
    return await value == expected  # type: ignore[misc]
