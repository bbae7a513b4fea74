"""The transcript beside the replay player, in headless Debian chromium, from the real bot: a recorded Space, its
phrases stored, a member's `/space replay` link. The lines show (what was said, as text, never as HTML), a click
on a line moves the player there, the lit line follows playback, and `&t=SECONDS` in the link starts there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import av
import pytest

from demo.world import World
from spaces_core.domain.transcripts import Phrase
from tests.browser.chromium import Chromium, chromium_binary
from tests.e2e.conftest import eventually, world
from tests.e2e.test_recording import recordings, replay_link
from tests.e2e.test_transcripts import ended_space
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
__all__ = ["world"]  # the e2e fixture: the real bot against the local Discord

LIT = "[...document.querySelectorAll('#transcript li')].findIndex(li => li.classList.contains('current'))"
LINES = "[...document.querySelectorAll('#transcript li')].map(li => li.textContent)"
NOW = "document.getElementById('replay').currentTime"


async def recorded_with_lines(world: World) -> tuple[Any, str]:
    """A Space recorded for four seconds; phrases at 0.2 s, 1.5 s and 3.2 s into its replay; lee's replay link."""
    app = world.bot.bot.app
    space = await app.spaces.get((await ended_space(world, "Replay night", recorded=True, seconds=4.0)).id)
    with av.open(str(recordings(world) / f"{space.id}.ogg")) as replay:
        length = timedelta(microseconds=replay.duration)
    begins = max(timedelta(0), space.ended_at - space.started_at - length)  # the replay runs to the Space's end

    def at(seconds: float, who: str, text: str) -> Phrase:
        start = begins + timedelta(seconds=seconds)
        return Phrase(space.id, world[who], start, start + timedelta(seconds=1), text, "en")

    await app.transcripts.add(
        [
            at(0.2, "hana", "Welcome to replay night"),
            at(1.5, "lee", 'Is <img src=x onerror="document.title=1"> on?'),
            at(3.2, "hana", "Last words & goodbye"),
        ]
    )
    answer = await world.slash(world.stage_id, world["lee"], "space replay")
    return space, replay_link(answer.content or "")


async def test_the_transcript_shows_beside_the_player_lights_the_line_playing_and_seeks(world: World) -> None:
    space, link = await recorded_with_lines(world)
    async with aiohttp.ClientSession() as http:
        transcript = link.replace(f"/replays/{space.id}?", f"/replays/{space.id}/transcript.json?")
        async with http.get(transcript) as answer:
            lines = (await answer.json())["lines"]
        assert [(line["name"], round(line["at"], 1)) for line in lines] == [("hana", 0.2), ("lee", 1.5), ("hana", 3.2)]

    browser = Chromium()
    try:
        await browser.open(link)
        await eventually(lambda: browser.evaluate(f"{LINES}.length === 3"), timeout=10)
        assert await browser.evaluate(LINES) == [
            "[00:00] hana: Welcome to replay night",
            '[00:01] lee: Is <img src=x onerror="document.title=1"> on?',
            "[00:03] hana: Last words & goodbye",
        ]
        assert await browser.evaluate("document.querySelector('#transcript img') === null")
        await eventually(lambda: browser.evaluate("document.getElementById('replay').readyState >= 1"), timeout=10)

        await browser.evaluate("document.querySelectorAll('#transcript li')[2].click()")
        await eventually(lambda: browser.evaluate(f"{NOW} >= 3.1 && {LIT} === 2"), timeout=5)

        await browser.evaluate("(a => { a.currentTime = 0; a.play(); })(document.getElementById('replay'))")
        await eventually(lambda: browser.evaluate(f"{LIT} === 0"), timeout=5)
        await eventually(lambda: browser.evaluate(f"{LIT} === 1"), timeout=5)  # it follows as the replay plays
        await eventually(lambda: browser.evaluate(f"{LIT} === 2"), timeout=5)

        await browser.navigate(f"{link}&t=2")
        await eventually(lambda: browser.evaluate("document.getElementById('replay').readyState >= 1"), timeout=10)
        await eventually(lambda: browser.evaluate(f"Math.abs({NOW} - 2) < 0.3"), timeout=5)
        await eventually(lambda: browser.evaluate(f"{LIT} === 1"), timeout=5)
    finally:
        await browser.close()
