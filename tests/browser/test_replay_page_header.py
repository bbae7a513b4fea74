"""The replay page as a member reads it, in headless Debian chromium, from the real bot: the Space's header (title,
host, server, date in the viewer's own zone and locale, length), the recap's chapters that seek, the transcript's
search (highlights, counts, Esc clears, what was said stays text), Enter on a line seeks, the named download; and
the page passes the audit (axe, no sideways scroll at 390 px) in light and dark, with screenshots kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import av
import pytest

from demo.world import World
from spaces_core.domain.transcripts import Phrase
from spaces_core.recap import chapters
from tests.browser.audit import PHONE, axe_violations, horizontal_overflow, keep_screenshots
from tests.browser.chromium import Chromium, chromium_binary
from tests.e2e.conftest import eventually, world
from tests.e2e.test_recording import recordings, replay_link
from tests.e2e.test_transcripts import ended_space
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
__all__ = ["world"]  # the e2e fixture: the real bot against the local Discord

TITLE = 'Replay night <b>live</b> & "more" 🎙'
FILENAME = "Replay night b live b & more 🎙.ogg"  # reserved signs gone, words kept
SAID = [
    ("hana", 0.2, "Welcome to replay night, tonight we talk about drum machines and vinyl sampling."),
    ("lee", 0.9, 'Is <img src=x onerror="document.title=1"> on? I love drum machines.'),
    ("hana", 1.6, "Drum machines first: the classic drum machine sound comes from analog circuits."),
    ("lee", 2.3, "What about vinyl sampling and sample clearance?"),
    ("hana", 3.0, "Vinyl sampling needs sample clearance before you release anything."),
    ("hana", 3.6, "Last words & goodbye, thanks for coming to replay night."),
]
NOW = "document.getElementById('replay').currentTime"
LIT = "[...document.querySelectorAll('#transcript li')].findIndex(li => li.classList.contains('current'))"
SHOWN = "[...document.querySelectorAll('#transcript li')].filter(li => !li.hidden).length"
MARKS = "[...document.querySelectorAll('#transcript li')].map(li => [...li.querySelectorAll('mark')]" \
    ".map(m => m.textContent))"  # fmt: skip
STATUS = "document.getElementById('search-status').textContent"
TEXT = "document.querySelector({!r}).textContent"


async def recorded(world: World) -> tuple[Any, timedelta, timedelta, str]:
    """A Space recorded for four seconds with SAID in its replay: the Space, where the replay begins in it, the
    replay's length, and lee's personal replay link."""
    app = world.bot.bot.app
    space = await app.spaces.get((await ended_space(world, TITLE, recorded=True, seconds=4.0)).id)
    with av.open(str(recordings(world) / f"{space.id}.ogg")) as replay:
        length = timedelta(microseconds=replay.duration)
    begins = max(timedelta(0), space.ended_at - space.started_at - length)  # the replay runs to the Space's end
    phrases = [
        Phrase(space.id, world[who], begins + timedelta(seconds=at), begins + timedelta(seconds=at + 0.5), text, "en")
        for who, at, text in SAID
    ]
    await app.transcripts.add(phrases)
    answer = await world.slash(world.stage_id, world["lee"], "space replay")
    return space, begins, length, replay_link(answer.content or "")


async def audited(browser: Chromium, name: str) -> None:
    """axe finds nothing serious at a phone's width, nothing scrolls sideways; screenshots kept at both widths."""
    await browser.window(PHONE)
    assert await axe_violations(browser) == [], name
    assert await horizontal_overflow(browser) == 0, name
    await keep_screenshots(browser, name)


async def sees_the_header(browser: Chromium, space: Any, length: timedelta) -> None:
    """What the Space is, whose, where, when (the viewer's zone and language), how long; names stay text."""
    assert await browser.evaluate(TEXT.format("#space-title")) == TITLE
    assert await browser.evaluate("document.querySelector('header b, header img[src=\"x\"]') === null")
    assert await browser.evaluate("document.title") == f"{TITLE} · Replay"
    assert await browser.evaluate(TEXT.format("#host-name")) == "hana"
    assert await browser.evaluate(TEXT.format(".server span:last-child")) == "Beat Makers"
    avatar = await browser.evaluate("document.querySelector('img.avatar').src")
    assert avatar.startswith("https://cdn.discordapp.com/"), avatar  # Discord's CDN, for the member the bot knows
    iso = await browser.evaluate("document.getElementById('when').dateTime")
    started = space.started_at or space.created_at
    assert datetime.fromisoformat(iso) == started
    shown = await browser.evaluate(TEXT.format("#when"))
    assert started.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") in shown, shown
    same = "{weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', " \
        "minute: '2-digit', timeZoneName: 'short', timeZone: 'Asia/Tokyo'}"  # fmt: skip
    assert shown == await browser.evaluate(f"new Intl.DateTimeFormat('fr-FR', {same}).format(new Date({iso!r}))")
    assert await browser.evaluate(TEXT.format("#length")) == f"{round(length.total_seconds())} s"


async def chapters_seek(browser: Chromium, expected: list[list[Any]]) -> None:
    """The recap's chapters, at their places in the replay; choosing one plays from there and lights it."""
    await eventually(lambda: browser.evaluate("!document.getElementById('chapters-panel').hidden"))
    listed = await browser.evaluate(
        "[...document.querySelectorAll('#chapters li')].map(li => [li.querySelector('.keyword').textContent,"
        " Number(li.dataset.at)])"
    )
    assert listed == expected
    await eventually(lambda: browser.evaluate("document.getElementById('replay').readyState >= 1"), timeout=10)
    await browser.evaluate("document.querySelectorAll('#chapters button')[2].click()")
    await eventually(lambda: browser.evaluate(f"Math.abs({NOW} - {expected[2][1]}) < 0.3"), timeout=5)
    current = "document.querySelectorAll('#chapters button')[2].getAttribute('aria-current')"
    await eventually(lambda: browser.evaluate(f"{current} === 'true'"))
    await browser.evaluate("document.getElementById('replay').pause()")


async def search_marks_and_counts(browser: Chromium) -> None:
    """Every word, any case; the matches marked; the count said; HTML someone said stays text; Esc clears."""
    await browser.evaluate("document.getElementById('search').focus()")
    await browser.type("drum MACHINES")
    await eventually(lambda: browser.evaluate(f"{STATUS} === '3 matches'"))
    assert await browser.evaluate(SHOWN) == 3
    marks = await browser.evaluate(MARKS)
    assert marks[:3] == [["drum", "machines"], ["drum", "machines"], ["Drum", "machines", "drum"]], marks
    assert marks[3:] == [[], [], []]
    await browser.press("Escape")
    await eventually(lambda: browser.evaluate(f"{STATUS} === '' && {SHOWN} === 6"))
    assert await browser.evaluate("document.getElementById('search').value") == ""
    assert await browser.evaluate(MARKS) == [[]] * 6
    await browser.type("<IMG src")
    await eventually(lambda: browser.evaluate(f"{STATUS} === '1 match'"))
    assert (await browser.evaluate(MARKS))[1] == ["<img", "src"]
    assert await browser.evaluate("document.querySelector('#transcript img') === null")
    assert await browser.evaluate(TEXT.format("#transcript li:not([hidden]) .said")) == SAID[1][2]
    await browser.evaluate("document.getElementById('search').value = 'nobody said this'")
    await browser.evaluate("document.getElementById('search').dispatchEvent(new Event('input'))")
    await eventually(lambda: browser.evaluate(f"{STATUS} === 'No matches' && {SHOWN} === 0"))
    await browser.press("Escape")
    await eventually(lambda: browser.evaluate(f"{SHOWN} === 6"))


async def enter_on_a_line_seeks(browser: Chromium) -> None:
    """A line is a button, its focus shows, Enter plays from it."""
    await browser.evaluate("document.querySelectorAll('#transcript .line')[4].focus()")
    assert await browser.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    await browser.press("Enter")
    await eventually(lambda: browser.evaluate(f"Math.abs({NOW} - 3.0) < 0.3 && {LIT} === 4"), timeout=5)
    await browser.evaluate("document.getElementById('replay').pause()")


async def test_the_header_chapters_search_and_download_of_a_real_replay(world: World) -> None:
    space, begins, length, link = await recorded(world)
    stored = await world.bot.bot.app.transcripts.of_space(space.id)
    expected_chapters = [[c.keyword, round((c.at - begins).total_seconds(), 3)] for c in chapters(stored)]
    assert len(expected_chapters) >= 3, expected_chapters
    browser = Chromium()
    try:
        await browser.open("about:blank")
        await browser.emulate(timezone="Asia/Tokyo", locale="fr-FR")
        await browser.navigate(link)
        await eventually(lambda: browser.evaluate(f"{SHOWN} === 6"), timeout=10)
        await sees_the_header(browser, space, length)
        await chapters_seek(browser, expected_chapters)
        await search_marks_and_counts(browser)
        await enter_on_a_line_seeks(browser)

        await audited(browser, "replay-page")
        await browser.emulate(dark=True)
        await browser.evaluate("document.getElementById('search').focus()")
        await browser.type("sampling")  # marks in the dark scheme's colours
        await eventually(lambda: browser.evaluate(f"{STATUS} === '3 matches'"))
        await audited(browser, "replay-page-dark")

        download = await browser.evaluate(
            "(a => [a.href, a.getAttribute('download')])(document.getElementById('download'))"
        )
        assert download[1] == FILENAME and download[0].endswith("&download=1")
        assert await browser.evaluate("document.title") == f"{TITLE} · Replay"  # no markup ever ran
    finally:
        await browser.close()

    async with aiohttp.ClientSession() as http, http.get(download[0]) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Disposition"] == (
            'attachment; filename="Replay night b live b & more.ogg"; '
            "filename*=UTF-8''Replay%20night%20b%20live%20b%20%26%20more%20%F0%9F%8E%99.ogg"
        )
        assert await answer.read() == (recordings(world) / f"{space.id}.ogg").read_bytes()
