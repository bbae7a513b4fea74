"""The host's stats page over HTTP: every refused link (none, forged, expired, another purpose, another Space, a
Space that is gone) gets the styled page saying how to get a new one, with 403 and nothing of the Space; a good
link gets the page and its chart, privately (no Referer, no shared cache)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.stats.page import StatsPages, stats_path
from bot.web import LinkSigner
from spaces_core.domain.space import Space
from spaces_core.services.stats import StatsService
from spaces_core.store.database import create_engine, make_uow_factory, migrate
from tests.fakes import FakeClock

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
HOST = 5


class Site:
    def __init__(self, base: str, pages: StatsPages, clock: list[float]) -> None:
        self.base, self.pages, self.clock = base, pages, clock

    async def get(self, path: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
        async with aiohttp.ClientSession() as http, http.get(self.base + path) as response:
            return response.status, await response.text(errors="replace"), dict(response.headers)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path}/spaces.db"
    await migrate(url)
    engine = create_engine(url)
    uows = make_uow_factory(engine)
    space, _ = Space.open(
        space_id="s1", guild_id=7, channel_id=8, host_id=HOST, title="Secret <b>AMA</b>", topics="", now=T0
    )
    async with uows() as uow:
        await uow.spaces.add(space)
        await uow.commit()
    clock = [1_000_000.0]
    signer = LinkSigner("secret", clock=lambda: clock[0])
    pages = StatsPages(StatsService(uows, FakeClock(T0)), signer, lambda guild, user: "Hana")
    app = web.Application()
    pages.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Site(f"http://127.0.0.1:{runner.addresses[0][1]}", pages, clock)
    finally:
        await runner.cleanup()
        await engine.dispose()


async def test_a_good_link_opens_the_page_privately(site: Site) -> None:
    status, text, headers = await site.get(stats_path("s1", site.pages.token("s1", HOST)))
    assert status == 200 and "Secret &lt;b&gt;AMA&lt;/b&gt;" in text and "<b>AMA" not in text
    assert headers["Referrer-Policy"] == "no-referrer" and "no-store" in headers["Cache-Control"]
    status, _, headers = await site.get(stats_path("s1", site.pages.token("s1", HOST), "/chart.png"))
    assert status == 200 and headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("none", "needs your personal link"),
        ("forged", "not valid"),
        ("expired", "expired"),
        ("replay", "not for a Space's stats"),
        ("other space", "another Space"),
        ("gone", "can't find"),
    ],
)
async def test_every_refused_link_gets_the_styled_page(site: Site, case: str, said: str) -> None:
    token = site.pages.token("s1", HOST)
    space_id = "s1"
    if case == "none":
        token = ""
    elif case == "forged":
        token = token[:-1] + ("0" if token[-1] != "0" else "1")
    elif case == "expired":
        site.clock[0] += 3601
    elif case == "replay":
        token = site.pages.signer.sign("s1", HOST, purpose="replay")
    elif case == "other space":
        space_id = "s2"
    elif case == "gone":
        space_id, token = "s9", site.pages.token("s9", HOST)
    for suffix in ("", "/chart.png"):
        status, page, _ = await site.get(stats_path(space_id, token, suffix))
        text = html.unescape(page)
        assert status == 403 and said in text and "/space stats" in text and "<style>" in text, text
        assert "Secret" not in text
