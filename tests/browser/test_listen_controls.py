"""The listen page's controls beyond Play: Share copies the public link (never a personal ticket), and a network
that lets no UDP through gets the reason and what to try instead of "Connection lost." (real Chromium, told by its
own policy switch to send no UDP but through a proxy it does not have, as a locked-down network would)."""

from __future__ import annotations

import pytest

from bot.web import WebServer
from demo.world import World
from tests.browser.chromium import Chromium, chromium_binary
from tests.browser.test_listen_captions import Page
from tests.browser.test_listen_page import world
from tests.browser.test_listen_states import audited
from tests.e2e.conftest import live_space, start_space
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
__all__ = ["world"]

NO_UDP = "--webrtc-ip-handling-policy=disable_non_proxied_udp"
TITLE = "document.getElementById('title')?.textContent"


async def test_share_copies_the_public_link_without_the_ticket(world: World) -> None:
    await start_space(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(web.listen_url(space) + "?ticket=someone.personal")
        await page.shows(TITLE, "Friday AMA")
        await browser.grant("clipboardReadWrite", "clipboardSanitizedWrite")
        assert await browser.evaluate("typeof navigator.share") == "undefined"  # Chromium on Linux: no share sheet
        await browser.evaluate("document.getElementById('share').click()")
        await page.shows("document.getElementById('share-status').textContent", "Copied the link.")
        assert await browser.evaluate("navigator.clipboard.readText()") == web.listen_url(space)
    finally:
        await browser.close()


async def test_a_network_without_udp_is_told_why_and_what_to_try(world: World) -> None:
    await start_space(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    browser = Chromium(NO_UDP)
    page = Page(browser)
    try:
        await browser.open(web.listen_url(space))
        await page.shows(TITLE, "Friday AMA")
        await browser.evaluate("document.getElementById('play').click()")
        await page.shows("document.getElementById('status').textContent", "Can’t connect to the audio.", 60)
        advice = await browser.evaluate("document.getElementById('advice').textContent")
        assert "block the UDP" in advice and "another network" in advice and "Discord app" in advice
        play = "[document.getElementById('play').textContent, document.getElementById('play').ariaPressed]"
        assert await browser.evaluate(play) == ["▶ Play", "false"]
        await audited(browser, "listen-no-udp")
    finally:
        await browser.close()
