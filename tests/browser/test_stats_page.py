"""A real browser on the host's stats page: headless Debian chromium at 390 and 1,280 px, light and dark; the
chart loads, nothing overflows sideways on a phone, the history links work, and a forged link gets the styled
refusal; axe-core finds nothing serious. Screenshots are kept in artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.stats.page import StatsPages, stats_path
from bot.web import LinkSigner
from spaces_core.domain.space import Space
from spaces_core.domain.stats import StatsSample
from spaces_core.services.stats import StatsService
from spaces_core.store.database import create_engine, make_uow_factory, migrate
from tests.browser.audit import axe_violations, horizontal_overflow, keep_screenshots, screenshot_path
from tests.browser.chromium import Chromium, chromium_binary
from tests.e2e.conftest import eventually
from tests.fakes import FakeClock
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
HOST = 4242
LONG_TITLE = "Beat club: a very long title that keeps going on a phone"


async def add_spaces(stats: StatsService, uows: object) -> None:
    for n, title in enumerate(["Older AMA", LONG_TITLE]):
        at = T0 + timedelta(days=n)
        space, _ = Space.open(space_id=f"s{n}", guild_id=7, channel_id=n, host_id=HOST, title=title, topics="", now=at)
        space.peak_listeners = 10 + n
        space.end(None, at + timedelta(minutes=42))
        async with uows() as uow:  # type: ignore[operator]
            await uow.spaces.add(space)
            await uow.commit()
        for i in range(30):
            sample = StatsSample(at + timedelta(seconds=5 * i), i % 9, i % 4, 2, i % 3, {"🔥": i})
            await stats.record(space.id, sample, {HOST: 400, 77: 100})


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[str, StatsPages]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/spaces.db"
    await migrate(url)
    engine = create_engine(url)
    uows = make_uow_factory(engine)
    stats = StatsService(uows, FakeClock(T0))
    await add_spaces(stats, uows)
    pages = StatsPages(stats, LinkSigner("secret"), lambda guild, user: "Hana" if user == HOST else "Cole")
    app = web.Application()
    pages.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", pages
    finally:
        await runner.cleanup()
        await engine.dispose()


async def looks_right(browser: Chromium, width: int, scheme: str) -> None:
    await browser.window(width, 800)
    await browser.color_scheme(scheme)
    # The chart for this width loaded: one column on a phone (the <picture> picks the source as the width changes).
    wanted = 500 if width < 600 else 1000
    loaded = f"document.querySelector('img')?.complete && document.querySelector('img').naturalWidth === {wanted}"
    await eventually(lambda: browser.evaluate(loaded), timeout=15)
    assert await horizontal_overflow(browser) == 0, "no sideways scroll"
    background = await browser.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(21, 23, 27)" if scheme == "dark" else "rgb(246, 247, 249)")
    assert await axe_violations(browser) == []
    await browser.screenshot(screenshot_path(f"stats-{width}-{scheme}"))


async def test_the_stats_page_reads_on_a_phone_and_a_desktop_light_and_dark(site: tuple[str, StatsPages]) -> None:
    base, pages = site
    link = base + stats_path("s1", pages.token("s1", HOST))
    browser = Chromium()
    try:
        await browser.open(link)
        for width, scheme in [(390, "light"), (390, "dark"), (1280, "light"), (1280, "dark")]:
            await looks_right(browser, width, scheme)
        history = await browser.evaluate("[...document.querySelectorAll('ul.history a')].map(a => a.textContent)")
        assert history == [LONG_TITLE, "Older AMA"]
        older = await browser.evaluate("document.querySelectorAll('ul.history a')[1].href")
        await browser.navigate(older)
        assert await browser.evaluate("document.querySelector('h1').textContent") == "Older AMA"

        forged = link[:-1] + ("0" if link[-1] != "0" else "1")
        await browser.navigate(forged)
        assert "/space stats" in await browser.evaluate("document.body.innerText")
        await browser.window(390, 800)
        assert await horizontal_overflow(browser) == 0
        assert await axe_violations(browser) == []
        await keep_screenshots(browser, "stats-refused")
    finally:
        await browser.close()
