"""The listen page comes back by itself after the bot restarts: in real Chromium, with no reload.

Two ways a restart looks to the page: the bot is down (connection refused: EventSource retries on its own), and the
bot is up again but has not reopened the Space's audio yet (its event stream answers 404, which EventSource never
retries: the page does, and only gives the Space up once the server keeps saying so for about a minute).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.audio.rooms import AudioRooms
from bot.web import LinkSigner, WebServer
from demo.world import open_world
from tests.browser.chromium import Chromium, chromium_binary
from tests.browser.test_listen_captions import Page
from tests.e2e.conftest import live_space, start_space
from tests.e2e.test_speaking import listeners
from tests.missing import CHROMIUM
from tests.unit import builders

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)

LOOPBACK = "127.0.0.1"
STREAM_STATUS = "document.getElementById('stream-status')?.textContent"
TITLE = "document.getElementById('title')?.textContent"
LISTENERS = "document.getElementById('listeners').textContent"
SAME_PAGE = "[document.body.dataset.state, window.sameDocument]"


async def test_the_page_comes_back_by_itself_after_the_bot_restarts(tmp_path: Path) -> None:
    port = _free_port()  # the restarted bot serves the page where the listener's browser has it open
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    browser = Chromium()
    page = Page(browser)
    try:
        await world.start_bot(web_port=port)
        await start_space(world)
        space = await live_space(world)
        web = world.bot.bot.app.web
        assert isinstance(web, WebServer)
        await browser.open(web.listen_url(space))
        await page.shows(TITLE, "Friday AMA")
        await browser.evaluate("window.sameDocument = true")
        await world.stop_bot()
        await page.shows(STREAM_STATUS, "Reconnecting to the Space…")
        await world.start_bot(web_port=port)
        await listeners(world, "cole")  # a change after the restart reaches the same page
        await page.shows(LISTENERS, "1 listener on Discord · 0 on the web", 30)
        assert await browser.evaluate(STREAM_STATUS) == ""
        assert await browser.evaluate(SAME_PAGE) == ["live", True]
    finally:
        await browser.close()
        await world.close()


async def test_the_page_retries_while_the_restarted_bot_has_not_reopened_the_space(tmp_path: Path) -> None:
    port, space = _free_port(), builders.live_space()
    before, after = AudioRooms(web_host=LOOPBACK), AudioRooms(web_host=LOOPBACK)
    before.open(space)
    signer = LinkSigner("test secret")
    first = WebServer(before, signer, host=LOOPBACK, port=port, name_of=lambda guild, user: f"member {user}")
    second = WebServer(after, signer, host=LOOPBACK, port=port, name_of=lambda guild, user: f"member {user}")
    browser = Chromium()
    page = Page(browser)
    try:
        await first.start()
        await browser.open(first.listen_url(space))
        await page.shows(TITLE, "Friday jam")
        await browser.evaluate("window.sameDocument = true")
        await first.stop()
        await second.start()  # up again, without the Space's audio: its stream answers 404
        await page.shows(STREAM_STATUS, "Reconnecting to the Space…")
        await page.shows("notLive > 0", True, 20)  # the page's own count of "not live" answers: it saw a 404
        space.title = "Friday jam, again"
        after.open(space)
        await page.shows(TITLE, "Friday jam, again", 30)
        assert await browser.evaluate(STREAM_STATUS) == ""
        assert await browser.evaluate(SAME_PAGE) == ["live", True]
    finally:
        await browser.close()
        await second.stop()
        await first.stop()
        await before.stop()
        await after.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])
