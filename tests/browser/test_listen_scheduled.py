"""The listen page of a scheduled Space, in real Chromium against the real bot on the local Discord server: what it
shows before the start (title, topics, host, the start in the reader's own zone, a countdown that moves, Add to
calendar, Remind me in Discord), the calendar file it hands out, the page turning into the live page when the host
starts the Space, and a cancelled Space's link being the styled 404. Audited (axe-core, a phone's width) with
screenshots kept, as every page state is."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.web import WebServer
from demo.world import World, eventually, open_world
from spaces_core.domain.schedule import ScheduledSpace
from tests.browser.chromium import Chromium, DevToolsError, chromium_binary
from tests.browser.test_listen_captions import Page
from tests.browser.test_listen_states import audited
from tests.e2e.conftest import configure, live_space
from tests.e2e.tickets_support import TITLE, buy, has_role, sell, stripe_of
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)

# The host may start a scheduled Space up to its host alert (30 minutes) early: "in 10 minutes" can go live now.
EARLY = {"reminder_offsets": (0,), "host_alert_seconds": 1800.0}
TEXT = "(id) => document.getElementById(id).textContent"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await w.start_bot(**EARLY)
        await configure(w, feed_channel=w.feed_id)
        yield w
    finally:
        await w.close()


def web_of(world: World) -> WebServer:
    web = world.bot.bot.app.web
    assert isinstance(web, WebServer)
    return web


async def planned(world: World, when: str = "in 10 minutes") -> ScheduledSpace:
    """hana's Space planned on the Stage, once its Discord event is recorded (the page links to it)."""
    record = await world.slash(
        world.chat_id, world["hana"], "space schedule", title=TITLE, when=when, topics="beats", channel=world.stage_id
    )
    assert "is scheduled" in (record.content or ""), record.content
    schedules = world.bot.bot.app.schedules

    async def with_event() -> ScheduledSpace | None:
        [schedule] = await schedules.upcoming(world.guild_id, 0)
        return schedule if schedule.event_id is not None else None

    await eventually(with_event)
    found = await with_event()
    assert found is not None
    return found


def page_url(world: World, schedule: ScheduledSpace) -> str:
    return f"{web_of(world).base_url}/spaces/{schedule.id}"


def card_link(world: World) -> str | None:
    """The URL of the upcoming card's "Open in a browser" button, if it has one."""
    for message in world.server.messages(world.feed_id):
        for row in message.get("components") or []:
            for button in row["components"]:
                if button.get("label") == "Open in a browser":
                    return str(button["url"])
    return None


async def text(browser: Chromium, element_id: str) -> Any:
    return await browser.evaluate(f"({TEXT})({element_id!r})")


async def test_the_scheduled_page_shows_the_start_in_the_readers_zone_a_countdown_and_calendar_links(
    world: World,
) -> None:
    schedule = await planned(world)
    url = page_url(world, schedule)
    await eventually(lambda: card_link(world) == url)  # the card in the feed links to the page
    # `/space share` with nothing live: the host's own upcoming Space, or the one planned on this Stage.
    for channel, member in ((world.chat_id, "hana"), (world.stage_id, "lee")):
        shared = await world.slash(channel, world[member], "space share")
        assert shared.ephemeral and TITLE in shared.content and url in shared.content, shared.content
    nothing = await world.slash(world.chat_id, world["lee"], "space share")  # not the host, not on its Stage
    assert url not in (nothing.content or "") and "no live Space" in (nothing.content or ""), nothing.content
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open("about:blank")
        await browser.emulate(timezone="Asia/Tokyo", locale="en-GB")
        await browser.navigate(url)
        await page.shows("document.getElementById('title').textContent", TITLE)
        assert await browser.evaluate("document.body.dataset.state") == "scheduled"
        assert await text(browser, "host-name") == "hana"
        guild = world.server.guild(world.guild_id)
        assert await text(browser, "server-name") == guild.name
        assert await browser.evaluate("[...document.querySelectorAll('#topics li')].map(li => li.textContent)") == [
            "beats"
        ]
        # The host's avatar from Discord's CDN (unreachable here: the initial stays), as on the live page.
        avatar = await browser.evaluate("document.getElementById('host-avatar').dataset.url")
        assert str(avatar).startswith("https://cdn.discordapp.com/"), avatar
        assert await text(browser, "host-avatar") == "H"

        # The start: UTC in the page's <time>, shown in Tokyo's time in British English.
        iso = schedule.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        assert await browser.evaluate("document.getElementById('starts').dateTime") == iso
        tokyo = schedule.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
        shown = await text(browser, "starts")
        assert f"{tokyo.hour:02d}:{tokyo.minute:02d}" in shown and tokyo.strftime("%B") in shown, shown
        assert str(tokyo.day) in shown and "GMT+9" in shown, shown

        # The countdown says minutes and seconds left, and moves.
        before = await text(browser, "countdown")
        assert before.startswith("In ") and " min " in before, before
        await page.shows(f"({TEXT})('countdown') !== {before!r}", True)

        # Remind me in Discord: the Space's Discord event; Open in Discord: its Stage.
        event = f"https://discord.com/events/{world.guild_id}/{schedule.event_id}"
        assert await browser.evaluate("document.getElementById('remind').href") == event
        assert await browser.evaluate("document.getElementById('remind').hidden") is False
        stage = f"https://discord.com/channels/{world.guild_id}/{world.stage_id}"
        assert await browser.evaluate("document.getElementById('open-discord').href") == stage
        assert await browser.evaluate("document.getElementById('tickets').hidden") is True

        # Add to calendar: the link the page offers downloads an iCalendar file with the start in UTC.
        calendar = await browser.evaluate("document.getElementById('calendar').href")
        assert calendar == f"{url}/calendar.ics"
        assert await browser.evaluate("document.getElementById('calendar').hasAttribute('download')") is True
        async with aiohttp.ClientSession() as http, http.get(calendar) as answer:
            assert answer.status == 200 and answer.content_type == "text/calendar"
            assert answer.headers["Content-Disposition"].startswith("attachment")
            ics = await answer.text()
        assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
        start_utc = schedule.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        assert f"\r\nDTSTART:{start_utc}\r\n" in ics and f"SUMMARY:{TITLE}" in ics

        await audited(browser, "listen-scheduled")
    finally:
        await browser.close()


async def test_the_scheduled_page_becomes_the_live_page_when_the_host_starts_it(world: World) -> None:
    schedule = await planned(world)
    scheduled_pages = web_of(world).scheduled
    assert scheduled_pages is not None
    scheduled_pages.poll_seconds = 0.5  # the page asks every half second whether its Space went live
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(page_url(world, schedule))
        await page.shows("document.body?.dataset.state", "scheduled")
        await world.server.join_voice(world.guild_id, world["hana"], world.stage_id)
        record = await world.slash(world.stage_id, world["hana"], "space start")
        assert "with your scheduled Space" in (record.content or ""), record.content
        space = await live_space(world)

        async def on_the_live_page() -> bool:
            with contextlib.suppress(DevToolsError, RuntimeError):  # the old document goes away meanwhile
                state = await browser.evaluate("[location.pathname, document.body.dataset.state]")
                return bool(state == [f"/spaces/{space.id}", "live"])
            return False

        await eventually(on_the_live_page, timeout=10)
        await page.shows("document.getElementById('title').textContent", TITLE)
        async with (
            aiohttp.ClientSession() as http,
            http.get(page_url(world, schedule), allow_redirects=False) as answer,
        ):
            assert answer.status == 302 and answer.headers["Location"] == f"/spaces/{space.id}"
    finally:
        await browser.close()


async def test_a_cancelled_scheduled_spaces_link_is_the_styled_404_and_an_open_page_says_so(world: World) -> None:
    schedule = await planned(world)
    scheduled_pages = web_of(world).scheduled
    assert scheduled_pages is not None
    scheduled_pages.poll_seconds = 0.5
    url = page_url(world, schedule)
    browser = Chromium()
    page = Page(browser)
    try:
        await browser.open(url)
        await page.shows("document.body?.dataset.state", "scheduled")
        cancelled = await world.slash(world.chat_id, world["hana"], "space cancel")
        assert "cancel" in (cancelled.content or "").lower(), cancelled.content
        await page.shows("window.spaces.state", "gone")
        assert "won’t take place" in await text(browser, "live-note")
        assert await browser.evaluate("document.getElementById('calendar').hidden") is True

        async with aiohttp.ClientSession() as http:
            async with http.get(url) as answer:
                assert answer.status == 404 and answer.content_type == "text/html"
            async with http.get(f"{url}/calendar.ics") as answer:
                assert answer.status == 404
        await browser.navigate(url)
        await page.shows("document.querySelector('h1').textContent", "This Space isn’t live")
    finally:
        await browser.close()


async def test_a_ticketed_scheduled_spaces_page_says_tickets_are_sold_in_discord(tmp_path: Path) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db", stripe=True)
    browser = Chromium()
    try:
        await world.start_bot(**EARLY)
        await configure(world, feed_channel=world.feed_id)
        schedule = await planned(world)
        await sell(world, price=5)
        await stripe_of(world).pay(await buy(world, "cole"))  # a holder: still no one's name on the page
        await eventually(lambda: has_role(world, "cole"))
        await browser.open(page_url(world, schedule))
        await Page(browser).shows("document.getElementById('tickets')?.hidden", False)
        note = await text(browser, "tickets")
        assert "ticket holders" in note and "sold in Discord" in note, note
        assert "cole" not in await browser.evaluate("document.body.textContent")
        await audited(browser, "listen-scheduled-ticketed")
    finally:
        await browser.close()
        await world.close()
