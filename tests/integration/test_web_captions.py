"""Live captions on the listen page's event stream, over real HTTP against the real web server and its real feed.

The stream's shape (a `captions` event: on, delayed, the latest lines as plain text), that it follows the feed
without the listener asking, and that a ticketed Space's captions need the same signed personal link as its state.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.captions.feed import CaptionLine
from bot.web import LinkSigner, WebServer
from bot.web.page_feed import CAPTION_LINES
from demo.world import eventually
from tests.unit.builders import live_space

LOOPBACK = "127.0.0.1"
MEMBER = 42
WAIT = 10.0  # generous: the machine is shared


@dataclass
class Site:
    web: WebServer
    room: SpaceAudio
    signer: LinkSigner

    @property
    def space_id(self) -> str:
        return self.room.space.id

    @property
    def events_url(self) -> str:
        return f"{self.web.listen_url(self.room.space)}/events"


@contextlib.asynccontextmanager
async def serving(**options: Any) -> AsyncIterator[Site]:
    audio = AudioRooms(web_host=LOOPBACK)
    room = audio.open(live_space())
    signer = LinkSigner("test secret")
    web = WebServer(audio, signer, host=LOOPBACK, port=0, name_of=lambda g, u: f"member {u}", **options)
    await web.start()
    try:
        yield Site(web, room, signer)
    finally:
        await web.stop()
        await audio.stop()


class EventStream:
    """Server-sent events as a browser's EventSource parses them: `event:` names it (default `message`)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def next(self) -> tuple[str, Any]:
        name, data = "message", ""
        async with asyncio.timeout(WAIT):
            while line := (await self._response.content.readline()).decode():
                line = line.rstrip("\n")
                if not line:
                    return name, json.loads(data)
                field, _, value = line.partition(": ")
                if field == "event":
                    name = value
                elif field == "data":
                    data += value
        raise AssertionError("the stream ended")

    async def captions_until(self, wanted: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Every `captions` event up to and including the first that `wanted` accepts."""
        seen: list[dict[str, Any]] = []
        while True:
            name, data = await self.next()
            if name == "captions":
                seen.append(data)
                if wanted(data):
                    return seen


def said(n: int, text: str | None = None) -> CaptionLine:
    return CaptionLine(
        speaker_id=100 + n % 2, name=f"speaker {n % 2}", start_s=float(n), end_s=n + 0.8, text=text or f"{n}"
    )


async def test_the_stream_sends_captions_as_they_change_without_being_asked() -> None:
    async with serving() as site, aiohttp.ClientSession() as http, http.get(site.events_url) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "text/event-stream"
        stream = EventStream(response)
        first, state = await stream.next()
        assert first == "message" and state["title"] == "Friday jam"  # the page's state comes first, as before
        assert await stream.captions_until(lambda c: True) == [{"on": False, "delayed": False, "lines": []}]

        feed = site.web.captions
        feed.set_on(site.space_id, True)
        await stream.captions_until(lambda c: c["on"])
        for n in range(CAPTION_LINES + 2):
            feed.publish(site.space_id, said(n))
        last = f"{CAPTION_LINES + 1}"
        seen = await stream.captions_until(lambda c: bool(c["lines"]) and c["lines"][-1]["text"] == last)
        newest = seen[-1]["lines"]
        assert [x["text"] for x in newest] == [f"{n}" for n in range(2, CAPTION_LINES + 2)]
        assert newest[-1] == {"speaker": "100", "name": "speaker 0", "start_s": 6.0, "end_s": 6.8, "text": last}

        markup = '<img src=x onerror="alert(1)"> & <b>bold</b>'
        feed.publish(site.space_id, said(9, markup))
        seen = await stream.captions_until(lambda c: c["lines"][-1]["text"] != last)
        assert seen[-1]["lines"][-1]["text"] == markup  # sent as it was said: the page shows it as text

        feed.set_delayed(site.space_id, True)
        assert (await stream.captions_until(lambda c: c["delayed"]))[-1]["on"] is True
        feed.set_delayed(site.space_id, False)
        await stream.captions_until(lambda c: not c["delayed"])
        feed.set_on(site.space_id, False)
        off = await stream.captions_until(lambda c: not c["on"])
        assert off[-1] == {"on": False, "delayed": False, "lines": []}  # the feed keeps its lines; the page shows none


async def test_a_quiet_stream_sends_a_keep_alive_comment_that_a_page_ignores() -> None:
    async with (
        serving(keepalive=0.3) as site,
        aiohttp.ClientSession() as http,
        http.get(site.events_url) as response,
    ):
        stream = EventStream(response)
        assert (await stream.next())[0] == "message"
        assert (await stream.next())[0] == "captions"
        async with asyncio.timeout(WAIT):
            line = await response.content.readline()
        assert line == b": keep-alive\n"  # nothing changed: a comment line, no event
        site.web.captions.set_on(site.space_id, True)
        assert await stream.next() == ("captions", {"on": True, "delayed": False, "lines": []})


async def test_a_captions_event_is_sent_only_when_something_changed() -> None:
    async with serving() as site, aiohttp.ClientSession() as http, http.get(site.events_url) as response:
        stream = EventStream(response)
        await stream.captions_until(lambda c: True)
        feed = site.web.captions
        feed.set_on(site.space_id, True)
        feed.set_delayed(site.space_id, True)
        feed.set_delayed(site.space_id, False)  # back where it was: nothing new to show, or one event per change
        feed.publish(site.space_id, said(1))
        seen = await stream.captions_until(lambda c: bool(c["lines"]))
        assert all(a != b for a, b in itertools.pairwise(seen)), seen


async def test_a_ticketed_space_sends_captions_only_on_its_signed_personal_link() -> None:
    allowed = {MEMBER}

    async def may_attend(space: object, member: int) -> bool:
        return member in allowed

    async with serving(ticketed=lambda space: True, may_attend=may_attend) as site:
        feed = site.web.captions
        feed.set_on(site.space_id, True)
        feed.publish(site.space_id, said(1, "for ticket holders"))
        good = site.signer.sign(site.space_id, MEMBER, ttl_seconds=60)
        forged = good[:-1] + ("0" if good[-1] != "0" else "1")
        other_space = site.signer.sign("another space", MEMBER, ttl_seconds=60)
        stranger = site.signer.sign(site.space_id, MEMBER + 1, ttl_seconds=60)
        async with aiohttp.ClientSession() as http:
            for ticket in (None, "", forged, other_space, stranger):
                params = {} if ticket is None else {"ticket": ticket}
                async with http.get(site.events_url, params=params) as refused:
                    body = await refused.text()
                    assert refused.status == 403 and "for ticket holders" not in body, (ticket, body)
            async with http.get(site.events_url, params={"ticket": good}) as accepted:
                assert accepted.status == 200
                seen = await EventStream(accepted).captions_until(lambda c: True)
                assert seen[-1]["lines"][-1]["text"] == "for ticket holders"


@pytest.mark.parametrize("captions_on", [False, True])
async def test_a_closed_page_stops_its_stream(captions_on: bool) -> None:
    """The handler notices its listener left even when nothing changes: it stops waiting on the feed, so a Space
    nobody captions keeps no entry in it."""
    async with serving() as site:
        feed = site.web.captions
        if captions_on:
            feed.set_on(site.space_id, True)
        async with aiohttp.ClientSession() as http, http.get(site.events_url) as response:
            await EventStream(response).captions_until(lambda c: True)
            assert site.space_id in feed
        await eventually(lambda: _stopped(site, captions_on), timeout=WAIT)


async def _stopped(site: Site, captions_on: bool) -> bool:
    entry = site.web.captions.state(site.space_id) if captions_on else None
    if entry is not None:
        return entry.readers == 0
    return site.space_id not in site.web.captions


async def test_a_ticket_refunded_while_the_page_is_open_ends_its_stream_with_the_reason() -> None:
    allowed = {MEMBER}

    async def may_attend(space: object, member: int) -> bool:
        return member in allowed

    async with serving(ticketed=lambda space: True, may_attend=may_attend, admission_recheck=0.2) as site:
        feed = site.web.captions
        feed.set_on(site.space_id, True)
        ticket = site.signer.sign(site.space_id, MEMBER, ttl_seconds=60)
        async with aiohttp.ClientSession() as http, http.get(site.events_url, params={"ticket": ticket}) as response:
            stream = EventStream(response)
            await stream.captions_until(lambda c: c["on"])
            allowed.clear()  # refunded
            kind, data = "", None
            while kind != "refused":
                kind, data = await stream.next()
            assert "no longer valid" in data["reason"]
            with pytest.raises(AssertionError, match="the stream ended"):
                await stream.next()
