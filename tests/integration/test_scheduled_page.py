"""The web server's answers for a scheduled Space, over real HTTP, with the schedule looked up through the
callbacks the composition root hands in (here, plain functions over one `ScheduledSpace`): the page's facts in a
JSON blob that no title can break out of, the calendar file, the status the page polls, and the states in which
there is no page (cancelled, missed, ended) or the live Space's page instead."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.audio.rooms import AudioRooms
from bot.schedules.render import calendar_text
from bot.web import LinkSigner, Upcoming, WebServer
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState

GUILD, STAGE, HOST, EVENT = 1, 2, 3, 4
START = datetime(2031, 5, 6, 18, 30, tzinfo=UTC)
HOSTILE = "Q&A </script><script>alert(1)</script>"


@pytest.fixture
def schedule() -> ScheduledSpace:
    return ScheduledSpace(
        id="sched1", guild_id=GUILD, channel_id=STAGE, host_id=HOST, title=HOSTILE, topics=("beats",),
        starts_at=START, created_at=START - timedelta(days=1), event_id=EVENT,
    )  # fmt: skip


@pytest.fixture
async def web(schedule: ScheduledSpace) -> AsyncIterator[WebServer]:
    async def schedule_of(schedule_id: str) -> ScheduledSpace | None:
        return schedule if schedule_id == schedule.id else None

    async def ticketed(schedule_id: str) -> bool:
        return False

    audio = AudioRooms(web_host="127.0.0.1")
    server = WebServer(
        audio, LinkSigner("test secret"), host="127.0.0.1", port=0, name_of=lambda guild, user: f"member {user}",
        upcoming=Upcoming(schedule_of, calendar_text, ticketed),
    )  # fmt: skip
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        await audio.stop()


async def test_the_page_carries_the_schedules_facts_and_no_title_breaks_out_of_them(web: WebServer) -> None:
    async with aiohttp.ClientSession() as http, http.get(web.page_url("sched1")) as answer:
        assert answer.status == 200 and answer.content_type == "text/html"
        html = await answer.text()
    assert "</script><script>alert(1)" not in html  # the title's "<" is a JSON escape inside the blob
    [blob] = re.findall(r'<script type="application/json" id="space">(.*?)</script>', html, re.S)
    facts = json.loads(blob)
    assert facts["title"] == HOSTILE and facts["topics"] == ["beats"]
    assert facts["host"] == {"name": f"member {HOST}", "avatar": None}
    assert facts["starts_at"] == "2031-05-06T18:30:00Z"
    assert facts["event"] == f"https://discord.com/events/{GUILD}/{EVENT}"
    assert facts["discord"] == f"https://discord.com/channels/{GUILD}/{STAGE}" and facts["ticketed"] is False


async def test_the_calendar_file_and_the_status(web: WebServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web.page_url('sched1')}/calendar.ics") as answer:
            assert answer.status == 200 and answer.content_type == "text/calendar"
            assert answer.headers["Content-Disposition"] == 'attachment; filename="space.ics"'
            assert "\r\nDTSTART:20310506T183000Z\r\n" in await answer.text()
        async with http.get(f"{web.page_url('sched1')}/status") as answer:
            assert await answer.json() == {"state": "upcoming", "live": None}
        async with http.get(f"{web.page_url('nope')}/status") as answer:
            assert await answer.json() == {"state": "gone", "live": None}


@pytest.mark.parametrize("state", [ScheduleState.CANCELLED, ScheduleState.MISSED, ScheduleState.ENDED])
async def test_a_schedule_that_wont_take_place_has_no_page_and_no_calendar(
    web: WebServer, schedule: ScheduledSpace, state: ScheduleState
) -> None:
    schedule.state = state
    async with aiohttp.ClientSession() as http:
        async with http.get(web.page_url("sched1")) as answer:
            assert answer.status == 404 and "This Space isn’t live" in await answer.text()
        async with http.get(f"{web.page_url('sched1')}/calendar.ics") as answer:
            assert answer.status == 404


async def test_a_schedule_gone_live_sends_its_page_to_the_live_spaces(web: WebServer, schedule: ScheduledSpace) -> None:
    schedule.state, schedule.live_space_id = ScheduleState.LIVE, "live1"
    async with aiohttp.ClientSession() as http:
        async with http.get(web.page_url("sched1"), allow_redirects=False) as answer:
            assert answer.status == 302 and answer.headers["Location"] == "/spaces/live1"
        async with http.get(f"{web.page_url('sched1')}/status") as answer:
            assert await answer.json() == {"state": "live", "live": "/spaces/live1"}
