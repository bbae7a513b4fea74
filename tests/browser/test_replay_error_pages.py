"""A replay link that can't open the replay gets a page in the replay page's look, with the right status, saying
why in plain words and how to get a new link; the file and the transcript keep their plain statuses. And a replay
with no transcript shows neither chapters nor a search box. Headless Debian chromium over real HTTP."""

from __future__ import annotations

import aiohttp
import pytest

from tests.browser.audit import PHONE, axe_violations, horizontal_overflow, keep_screenshots
from tests.browser.chromium import Chromium, chromium_binary
from tests.e2e.conftest import eventually
from tests.integration.test_replay_web import MEMBER, SPACE, Site, site
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
__all__ = ["site"]  # the fixture, shared with the HTTP tests

HOW = "Type /space replay and send it."
TEXT = "document.querySelector({!r})?.textContent.replace(/\\s+/g, ' ').trim()"


async def opened(browser: Chromium, url: str, name: str) -> dict[str, str]:
    """The error page as a reader sees it (its heading, reason and steps), audited at a phone's width."""
    await browser.navigate(url)
    await browser.window(PHONE)
    assert await axe_violations(browser) == [], name
    assert await horizontal_overflow(browser) == 0, name
    await keep_screenshots(browser, name)
    return {
        "heading": await browser.evaluate(TEXT.format("h1")),
        "reason": await browser.evaluate(TEXT.format("#reason")),
        "steps": await browser.evaluate(TEXT.format(".steps")),
        "background": await browser.evaluate("getComputedStyle(document.body).backgroundColor"),
    }


async def test_forged_expired_and_deleted_links_get_the_styled_page_with_the_right_status(site: Site) -> None:
    good = site.signer.sign(SPACE, MEMBER, ttl_seconds=60, purpose="replay")
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    async with aiohttp.ClientSession() as http:
        for token, status in ((forged, 403), ("", 403)):
            async with http.get(site.url(token)) as page:
                assert page.status == status and page.content_type == "text/html", token
                assert "/space replay" in await page.text()
                assert page.headers["Referrer-Policy"] == "no-referrer"
    browser = Chromium()
    try:
        await browser.open("about:blank")
        seen = await opened(browser, site.url(forged), "replay-error-forged")
        assert seen["heading"] == "This link can't open the replay"
        assert seen["reason"].startswith("This link is not valid: part of it may have been lost when it was copied")
        await browser.emulate(dark=True)
        await browser.window(PHONE)
        assert await axe_violations(browser) == [], "dark"
        await keep_screenshots(browser, "replay-error-forged-dark")
        await browser.emulate(dark=False)
        assert HOW in seen["steps"] and "Stage channel" in seen["steps"]
        styled = seen["background"]
        assert styled not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")  # the page's own look, not a bare page

        site.now[0] += 61
        seen = await opened(browser, site.url(good), "replay-error-expired")
        assert seen["reason"] == "This link has expired: ask for a new one in Discord with /space replay."
        site.now[0] -= 61

        site.replay.unlink()  # what the host's delete and the retention do to the file
        seen = await opened(browser, site.url(good), "replay-error-gone")
        assert seen["heading"] == "This replay isn't here"
        assert "its host deleted it, or the server's time for keeping replays has passed" in seen["reason"]
        assert HOW in seen["steps"] and seen["background"] == styled
    finally:
        await browser.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(site.url(good)) as page:
            assert page.status == 404 and page.content_type == "text/html"
        async with http.get(site.url(good, audio=True)) as audio:  # the file keeps its plain answer
            assert audio.status == 404 and audio.content_type == "text/plain"
        transcript = site.url(forged).replace(f"/replays/{SPACE}?", f"/replays/{SPACE}/transcript.json?")
        async with http.get(transcript) as lines:
            assert lines.status == 403 and await lines.text() == "This link is not valid."


async def test_a_replay_without_a_transcript_shows_no_chapters_nor_search_and_its_length_from_the_file(
    site: Site,
) -> None:
    token = site.signer.sign(SPACE, MEMBER, ttl_seconds=600, purpose="replay")
    browser = Chromium()
    try:
        await browser.open(site.url(token))
        note = "document.getElementById('transcript-note')?.textContent"
        await eventually(lambda: browser.evaluate(f"!!{note}?.startsWith('Nothing said')"), timeout=10)
        assert await browser.evaluate("document.getElementById('chapters-panel').hidden")
        assert await browser.evaluate("document.getElementById('search-box').hidden")
        assert await browser.evaluate(TEXT.format("h1")) == "Replay of a Space"
        await eventually(lambda: browser.evaluate("document.getElementById('length').textContent === '2 s'"))
        download = await browser.evaluate("document.getElementById('download').getAttribute('download')")
        assert download == "Space replay.ogg"
        await browser.window(PHONE)
        assert await axe_violations(browser) == []
        assert await horizontal_overflow(browser) == 0
        await keep_screenshots(browser, "replay-page-no-transcript")
    finally:
        await browser.close()
