"""A real browser shows the live captions: headless Debian chromium opens the listen page of a Space the real bot
started, and what is published into the bot's one caption feed appears with names, without the listener asking."""

from __future__ import annotations

import pytest

from bot.captions.feed import CaptionFeed, CaptionLine
from bot.web import WebServer
from bot.web.page_feed import CAPTION_LINES
from demo.world import World
from tests.browser.audit import screenshot_path
from tests.browser.chromium import Chromium, chromium_binary
from tests.browser.test_listen_page import world
from tests.e2e.conftest import eventually, live_space, start_space
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
__all__ = ["world"]  # the fixture, shared with the listen page's audio test

LINES = "Array.from(document.querySelectorAll('#caption-lines li')).map(li => li.textContent)"
STATE = "document.getElementById('captions-state').textContent"
DELAYED = "document.getElementById('captions-delayed')"
BADGE_SHOWN = "!document.getElementById('captions-badge').hidden"
MARKUP = '<img src=x onerror="window.injected = true"><b>bold</b> & <script>window.injected = true</script>'


class Page:
    def __init__(self, browser: Chromium) -> None:
        self.browser = browser

    async def shows(self, expression: str, expected: object, timeout: float = 10) -> None:
        async def holds() -> bool:
            return bool(await self.browser.evaluate(expression) == expected)

        try:
            await eventually(holds, timeout=timeout)
        except AssertionError:
            now = await self.browser.evaluate(expression)
            raise AssertionError(f"{expression} is {now!r}, not {expected!r}") from None


def said(name: str, start_s: float, text: str) -> CaptionLine:
    return CaptionLine(speaker_id=hash(name) % 1000, name=name, start_s=start_s, end_s=start_s + 1.5, text=text)


async def test_the_listen_page_shows_live_captions_with_names_and_the_delayed_notice(world: World) -> None:
    await start_space(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    feed: CaptionFeed = web.captions  # the one feed bootstrap built: the captions pipeline publishes into it
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(web.listen_url(space))
        await browser.phone_screen()
        await page.shows("document.getElementById('title')?.textContent", "Friday AMA")
        await page.shows(STATE, "Captions are off.")
        assert not await browser.evaluate(BADGE_SHOWN)
        assert await browser.evaluate("document.getElementById('caption-lines').getAttribute('aria-live')") == "polite"

        feed.set_on(space.id, True)
        await page.shows(BADGE_SHOWN, True)
        await page.shows(STATE, "Captions are on. Waiting for someone to speak…")
        feed.publish(space.id, said("hana", 1.0, "Welcome to the Friday AMA."))
        feed.publish(space.id, said("lee", 3.0, "Thanks for having me."))
        await page.shows(LINES, ["hana: Welcome to the Friday AMA.", "lee: Thanks for having me."])
        assert await browser.evaluate(STATE) == ""

        for n in range(CAPTION_LINES):
            feed.publish(space.id, said("hana" if n % 2 else "lee", 5.0 + n, f"Answer number {n}."))
        newest = [f"{'hana' if n % 2 else 'lee'}: Answer number {n}." for n in range(CAPTION_LINES)]
        await page.shows(LINES, newest)  # a few lines kept, the newest at the bottom

        feed.set_delayed(space.id, True)
        await page.shows(f"{DELAYED}.textContent", "Captions delayed — catching up.")
        assert await browser.evaluate(f"getComputedStyle({DELAYED}).display") != "none"
        feed.set_delayed(space.id, False)
        await page.shows(f"{DELAYED}.textContent", "")
        assert await browser.evaluate(f"getComputedStyle({DELAYED}).display") == "none"

        feed.publish(space.id, said("cole", 20.0, MARKUP + " " + "x" * 200))
        await page.shows(f"{LINES}.at(-1)", f"cole: {MARKUP} {'x' * 200}")
        assert (
            await browser.evaluate(
                "document.querySelector('#caption-lines img, #caption-lines b, #caption-lines script')"
            )
            is None
        )
        assert await browser.evaluate("window.injected") is None
        # A phone-width screen: long words wrap inside the panel instead of widening the page.
        assert await browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await browser.screenshot(screenshot_path("listen-captions-390"))

        # Hide/show: the listener's choice is kept on the device, across a reload.
        toggle = "document.getElementById('captions-toggle')"
        await browser.evaluate(f"{toggle}.click()")
        assert await browser.evaluate(f"[document.getElementById('captions-body').hidden, {toggle}.ariaExpanded]") == [
            True,
            "false",
        ]
        await browser.navigate(web.listen_url(space))
        await page.shows(f"{LINES}.length", CAPTION_LINES)
        assert await browser.evaluate("document.getElementById('captions-body').hidden") is True
        await browser.evaluate(f"{toggle}.click()")
        assert await browser.evaluate("document.getElementById('captions-body').hidden") is False

        feed.set_on(space.id, False)
        await page.shows(STATE, "Captions are off.")
        await page.shows(LINES, [])
        assert not await browser.evaluate(BADGE_SHOWN)
    finally:
        await browser.close()
