"""The replay page and file over real HTTP: only with a personal replay link; 403 with the reason otherwise."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.audio.rooms import AudioRooms
from bot.web import LinkSigner, WebServer
from tests.audio.test_audio_recorder import record_tone

SPACE, OTHER, MEMBER = "ab" * 16, "cd" * 16, 42


@dataclass
class Site:
    web: WebServer
    signer: LinkSigner
    now: list[float]
    replay: Path

    def url(self, token: str, space_id: str = SPACE, audio: bool = False) -> str:
        return f"{self.web.base_url}/replays/{space_id}{'/audio.ogg' if audio else ''}?token={token}"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    audio = AudioRooms(recordings_dir=tmp_path / "recordings")
    assert audio.replays is not None
    replay = await record_tone(audio.replays.path_of(SPACE), 440, 100)
    now = [time.time()]
    signer = LinkSigner("test secret", clock=lambda: now[0])
    web = WebServer(audio, signer, host="127.0.0.1", port=0, name_of=lambda g, u: str(u))
    await web.start()
    try:
        yield Site(web, signer, now, replay)
    finally:
        await web.stop()


async def test_a_personal_replay_link_opens_the_page_and_the_seekable_file(site: Site) -> None:
    token = site.signer.sign(SPACE, MEMBER, ttl_seconds=60, purpose="replay")
    async with aiohttp.ClientSession() as http:
        async with http.get(site.url(token)) as page:
            text = await page.text()
            assert page.status == 200 and f'src="/replays/{SPACE}/audio.ogg?token={token}"' in text
            assert page.headers["Referrer-Policy"] == "no-referrer"
        async with http.get(site.url(token, audio=True), headers={"Range": "bytes=-50"}) as tail:
            assert tail.status == 206 and await tail.read() == site.replay.read_bytes()[-50:]
        async with http.get(site.url(site.signer.sign(OTHER, MEMBER, purpose="replay"), OTHER)) as missing:
            assert missing.status == 404 and "no replay" in await missing.text()


async def test_forged_expired_and_borrowed_links_are_refused_with_the_reason(site: Site) -> None:
    good = site.signer.sign(SPACE, MEMBER, ttl_seconds=60, purpose="replay")
    refused = {
        "": "needs your personal link",
        good[:-1] + ("0" if good[-1] != "0" else "1"): "not valid",
        LinkSigner("another secret").sign(SPACE, MEMBER, purpose="replay"): "not valid",
        site.signer.sign(SPACE, MEMBER): "for listening live, not for the replay",
        site.signer.sign(OTHER, MEMBER, purpose="replay"): "for another Space",
    }
    async with aiohttp.ClientSession() as http:
        for token, reason in refused.items():
            for audio in (False, True):
                async with http.get(site.url(token, audio=audio)) as response:
                    assert response.status == 403 and reason in await response.text(), (token, audio)
        site.now[0] += 61
        async with http.get(site.url(good, audio=True)) as expired:
            assert expired.status == 403 and "expired" in await expired.text()


async def test_a_link_whose_member_may_no_longer_hear_the_space_is_refused(tmp_path: Path) -> None:
    """A ticket refunded after the link was handed out: the page, the file and the transcript all say no."""
    audio = AudioRooms(recordings_dir=tmp_path / "recordings")
    assert audio.replays is not None
    await record_tone(audio.replays.path_of(SPACE), 440, 100)
    hearing = {MEMBER}

    async def may_hear(space_id: str, member: int) -> bool:
        return member in hearing

    signer = LinkSigner("test secret")
    web = WebServer(audio, signer, host="127.0.0.1", port=0, name_of=lambda g, u: str(u), replay_audience=may_hear)
    await web.start()
    try:
        token = signer.sign(SPACE, MEMBER, ttl_seconds=60, purpose="replay")
        url = f"{web.base_url}/replays/{SPACE}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/audio.ogg?token={token}") as allowed:
                assert allowed.status == 200
            hearing.clear()  # refunded
            for path in ("", "/audio.ogg"):
                async with http.get(f"{url}{path}?token={token}") as refused:
                    assert refused.status == 403 and "no longer hear" in await refused.text(), path
    finally:
        await web.stop()
