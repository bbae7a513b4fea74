"""The page audit itself: axe-core finds what it should on a page built to fail and nothing on a clean one, the
overflow check sees a page wider than a phone, and screenshots are kept at both widths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.browser.audit import PHONE, axe_violations, horizontal_overflow, keep_screenshots
from tests.browser.chromium import Chromium, chromium_binary
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)

CLEAN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clean</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Fine</h1><button type="button">Play</button></main></body></html>"""
BROKEN = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button>
<p style="color:#eee;background:#fff">faint text</p><div style="width:900px">wide</div></body></html>"""


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Chromium]:
    chromium = Chromium()
    try:
        yield chromium
    finally:
        await chromium.close()


async def test_axe_finds_the_broken_pages_faults_and_none_on_a_clean_one(browser: Chromium, tmp_path: Path) -> None:
    (tmp_path / "broken.html").write_text(BROKEN)
    (tmp_path / "clean.html").write_text(CLEAN)
    await browser.open((tmp_path / "broken.html").as_uri())
    await browser.window(PHONE)
    found = {v["id"] for v in await axe_violations(browser)}
    assert {"image-alt", "button-name", "color-contrast"} <= found, found
    assert await horizontal_overflow(browser) > 0

    await browser.navigate((tmp_path / "clean.html").as_uri())
    await browser.window(PHONE)
    assert await axe_violations(browser) == []
    assert await horizontal_overflow(browser) == 0
    shots = await keep_screenshots(browser, "audit-clean")
    assert [p.name for p in shots] == ["audit-clean-390.png", "audit-clean-1280.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in shots)
