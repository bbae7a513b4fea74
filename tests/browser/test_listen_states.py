"""The listen page as a listener meets it, in real Chromium against a Space the real bot runs on the local Discord
server: what it shows (server, title, topics, who is on stage in which role, listeners, reactions, link cards), its
states (live, ended without a reload, not found), and in each state: axe-core finds no serious or critical WCAG
violation, nothing overflows a phone's width, and screenshots at 390 and 1,280 px are kept."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from bot.web import WebServer
from demo.world import World
from spaces_core.domain.transcripts import Phrase
from tests.browser.audit import PHONE, axe_violations, horizontal_overflow, keep_screenshots
from tests.browser.chromium import Chromium, chromium_binary
from tests.browser.test_listen_captions import Page
from tests.browser.test_listen_page import world
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_speaking import card_button, listeners
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
__all__ = ["audited", "world"]

LINK = "https://slides.example.org/decks/friday-ama?page=2"
PEOPLE = """Array.from(document.querySelectorAll('#speakers li')).map(li =>
  [li.querySelector('.name').textContent, li.querySelector('.role').textContent])"""
CARD = "document.querySelector('#links a.link-card')"


def web_of(world: World) -> WebServer:
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    return web


async def audited(browser: Chromium, name: str) -> None:
    """No serious/critical axe violation and no sideways scrolling at a phone's width, in light and dark; and the
    screenshots kept (light at both widths, dark at both as `<name>-dark`)."""
    for scheme in ("light", "dark"):
        await browser.color_scheme(scheme)
        await browser.window(PHONE)
        assert await axe_violations(browser) == [], f"{name} ({scheme})"
        assert await horizontal_overflow(browser) == 0, f"{name} ({scheme})"
        await keep_screenshots(browser, name if scheme == "light" else f"{name}-dark")
        assert await axe_violations(browser) == [], f"{name} ({scheme}, desktop)"
    await browser.color_scheme("light")


async def keyboard_walk(browser: Chromium) -> None:
    """Tab reaches every control in reading order, each with a visible focus outline."""
    await browser.window(PHONE)
    await browser.evaluate("document.activeElement.blur()")
    reached = []
    for _ in range(6):
        await browser.press("Tab", 9)
        reached.append(await browser.evaluate("document.activeElement.id || document.activeElement.className"))
        assert await browser.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    assert reached == ["play", "volume", "open-discord", "share", "captions-toggle", "link-card"]


async def a_busy_space(world: World) -> Any:
    """hana hosts, cole co-hosts, lee speaks, maya listens and reacts twice, and a link is pinned."""
    await start_space(world)
    await listeners(world, "cole", "lee", "maya")
    await world.slash(world.stage_id, world["hana"], "cohost add", member=world["cole"])
    await world.slash(world.stage_id, world["hana"], "stage invite", member=world["lee"])
    message_id, accept = card_button(world, "sp:inv:yes:")
    await world.server.click(world["lee"], message_id, accept)
    await world.slash(world.stage_id, world["hana"], "space pin", url=LINK)
    message_id, react = card_button(world, "sp:react:")
    for _ in range(2):
        await world.server.click(world["maya"], message_id, react)

    async def ready() -> bool:
        space = await live_space(world)
        return world["lee"] in space.speakers and sum(space.reactions.values()) == 2 and bool(space.links)

    await eventually(ready)
    return await live_space(world)


async def test_the_live_page_shows_the_server_the_people_and_their_roles(world: World) -> None:
    space = await a_busy_space(world)
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(web_of(world).listen_url(space))
        await page.shows(PEOPLE, [["hana", "Host"], ["cole", "Co-host"], ["lee", "Speaker"]])
        await page.shows("document.getElementById('title')?.textContent", "Friday AMA")
        guild = world.server.guild(world.guild_id)
        assert await browser.evaluate("document.getElementById('server-name').textContent") == guild.name
        topics = "Array.from(document.querySelectorAll('#topics li')).map(li => li.textContent)"
        assert await browser.evaluate(topics) == ["music", "production"]
        listening = "1 listener on Discord · 0 on the web"  # maya; the three on stage are not counted
        await page.shows("document.getElementById('listeners').textContent", listening)
        assert "2" in await browser.evaluate("document.getElementById('reactions').textContent")
        # Avatars: Discord's CDN (the sandbox's members have none: Discord's default avatars), initials beneath.
        avatars = "Array.from(document.querySelectorAll('#speakers .avatar')).map(a => a.dataset.url)"
        assert all(url.startswith("https://cdn.discordapp.com/") for url in await browser.evaluate(avatars))
        opens = f"https://discord.com/channels/{world.guild_id}/{space.channel_id}"
        assert await browser.evaluate("document.getElementById('open-discord').href") == opens
        card = await browser.evaluate(
            f"({{href: {CARD}.href, rel: {CARD}.rel, site: {CARD}.querySelector('.site').textContent,"
            f" path: {CARD}.querySelector('.path').textContent}})"
        )
        assert card == {"href": LINK, "rel": "noopener noreferrer", "site": "slides.example.org",
                        "path": "/decks/friday-ama?page=2"}  # fmt: skip
        # A reaction made now floats up the page's edge (decorative: hidden from screen readers).
        message_id, react = card_button(world, "sp:react:")
        await world.server.click(world["maya"], message_id, react)
        await page.shows("document.querySelectorAll('#floats .float').length > 0", True)
        assert await browser.evaluate("document.getElementById('floats').ariaHidden") == "true"
        await audited(browser, "listen-live")
        await keyboard_walk(browser)
        await listeners(world, "sam")  # the page's state changes while a link card has the keyboard's focus
        await page.shows("document.getElementById('listeners').textContent", "2 listeners on Discord · 0 on the web")
        assert await browser.evaluate("document.activeElement.className") == "link-card"
    finally:
        await browser.close()


async def test_the_ended_state_replaces_the_live_view_and_an_ended_link_is_a_styled_404(world: World) -> None:
    await start_space(world)
    space = await live_space(world)
    url = web_of(world).listen_url(space)
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(url)
        await page.shows("document.querySelectorAll('#speakers li').length", 1)
        await browser.evaluate("window.sameDocument = true")  # a reload would forget it
        start = timedelta(seconds=2)
        question = "Should we talk about <b>drums</b> next week?"
        said = Phrase(space.id, world["hana"], start, start + timedelta(seconds=3), question, "en")
        await world.bot.bot.app.transcripts.add([said])
        await world.slash(world.stage_id, world["hana"], "space end")
        await page.shows("document.body.dataset.state", "ended")
        # The recap the card's reply shows, with names; what was said stays text.
        await page.shows("document.getElementById('recap').hidden", False)
        recap = await browser.evaluate("document.getElementById('recap').textContent")
        assert "Questions asked" in recap and f"hana at 0:02: {question}" in recap, recap
        assert await browser.evaluate("document.querySelectorAll('#recap b').length") == 0
        assert await browser.evaluate("window.sameDocument") is True
        note = await browser.evaluate("document.getElementById('ended-note').textContent")
        assert "This Space has ended." in note and "/space replay" in note
        assert await browser.evaluate("document.getElementById('controls').hidden") is True  # Play is gone
        assert await browser.evaluate("document.querySelectorAll('li.speaking').length") == 0
        await audited(browser, "listen-ended")

        async with aiohttp.ClientSession() as http, http.get(url) as answer:
            assert answer.status == 404 and answer.content_type == "text/html"
        await browser.navigate(url)
        await page.shows("document.querySelector('h1').textContent", "This Space isn’t live")
        assert "/space replay" in await browser.evaluate("document.body.textContent")
        await audited(browser, "listen-not-found")
    finally:
        await browser.close()


async def test_the_page_state_names_roles_and_counts_listeners_apart_and_stays_small(world: World) -> None:
    space = await a_busy_space(world)
    web = web_of(world)
    async with aiohttp.ClientSession() as http, http.get(f"{web.listen_url(space)}/events") as events:
        line = await events.content.readline()
        state = json.loads(line.decode().removeprefix("data: "))
        assert [(p["name"], p["role"]) for p in state["speakers"]] == [
            ("hana", "host"),
            ("cole", "cohost"),
            ("lee", "speaker"),
        ]
        assert state["listeners"] == {"discord": 1, "web": 0}
        assert len(line) < 2048
