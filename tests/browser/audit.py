"""What every page test checks beyond its own behaviour: an accessibility audit (axe-core, injected into the page),
no horizontal overflow at a phone's width, and screenshots at 390 and 1,280 px kept as test artefacts.

axe-core comes from the npm registry (`scripts/install` puts it in .cache/npm); it runs inside the page under test
and is never served to members. Screenshots go to `artifacts/screenshots/` (git ignores it): for a person to look
at what a test saw, never compared by pixels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import pytest

from tests.browser.chromium import Chromium
from tests.missing import AXE

__all__ = ["DESKTOP", "PHONE", "axe_violations", "horizontal_overflow", "keep_screenshots"]

ROOT: Final = Path(__file__).resolve().parents[2]
AXE_SCRIPT: Final = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS: Final = ROOT / "artifacts" / "screenshots"
PHONE: Final = 390
DESKTOP: Final = 1280
SERIOUS: Final = ("serious", "critical")


async def axe_violations(browser: Chromium, impacts: tuple[str, ...] = SERIOUS) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.x A and AA at these impacts, on the page as it is now (rule, impact, nodes)."""
    if not AXE_SCRIPT.is_file():
        pytest.skip(AXE)
    # The whole page first: an audit of a half-loaded page finds what isn't there yet (or misses what is coming).
    await browser.evaluate(
        "new Promise(done => document.readyState === 'complete' ? done() : addEventListener('load', () => done()))"
    )
    await browser.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    found = await browser.evaluate(
        f"axe.run(document, {{runOnly: {{type: 'tag', values: {json.dumps(tags)}}}}})"
        ".then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))))"
    )
    return [v for v in json.loads(found) if v["impact"] in impacts]


async def horizontal_overflow(browser: Chromium) -> int:
    """How many CSS pixels the page is wider than its window (0: nothing to scroll sideways)."""
    return int(await browser.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def keep_screenshots(browser: Chromium, name: str) -> list[Path]:
    """The page at a phone's width and a desktop's, as `<name>-390.png` and `<name>-1280.png`; the window is left at
    the desktop width."""
    safe = _safe(name)
    kept = []
    for width in (PHONE, DESKTOP):
        await browser.window(width)
        path = screenshot_path(f"{safe}-{width}")
        await browser.screenshot(path)
        kept.append(path)
    return kept


def screenshot_path(name: str) -> Path:
    """Where a screenshot called `name` is kept (`.png` added)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{_safe(name)}.png"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
