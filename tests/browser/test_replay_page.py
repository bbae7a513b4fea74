"""A real browser: headless Debian chromium opens a personal replay link, plays, seeks and decodes the replay;
a forged link shows the reason instead."""

from __future__ import annotations

import pytest

from tests.browser.chromium import Chromium, chromium_binary
from tests.e2e.conftest import eventually
from tests.integration.test_replay_web import MEMBER, SPACE, Site, site
from tests.missing import CHROMIUM

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=CHROMIUM)
__all__ = ["site"]  # the fixture, shared with the HTTP tests

# Decodes the whole file the player points at and estimates its pitch from zero crossings.
PITCH = """(async () => {
  const src = document.getElementById('replay').currentSrc;
  const data = await (await fetch(src)).arrayBuffer();
  const decoded = await new OfflineAudioContext(1, 48000, 48000).decodeAudioData(data);
  const samples = decoded.getChannelData(0);
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if ((samples[i - 1] < 0) !== (samples[i] < 0)) crossings++;
  return crossings / 2 / decoded.duration;
})()"""
SEEK = """new Promise(resolve => {
  const audio = document.getElementById('replay');
  audio.addEventListener('seeked', () => resolve(audio.currentTime), {once: true});
  audio.currentTime = 1.5;
})"""


async def test_chromium_plays_seeks_and_decodes_the_replay_and_shows_why_a_forged_link_fails(site: Site) -> None:
    token = site.signer.sign(SPACE, MEMBER, ttl_seconds=600, purpose="replay")
    browser = Chromium()
    try:
        await browser.open(site.url(token))
        await eventually(lambda: browser.evaluate("document.getElementById('replay')?.readyState >= 1"), timeout=10)
        duration = await browser.evaluate("document.getElementById('replay').duration")
        assert 1.9 < duration < 2.1, duration
        assert abs(await browser.evaluate(SEEK) - 1.5) < 0.1
        await browser.evaluate("document.getElementById('replay').play()")
        await eventually(lambda: browser.evaluate("document.getElementById('replay').currentTime > 1.6"), timeout=5)
        assert abs(await browser.evaluate(PITCH) - 440) < 5

        forged = token[:-1] + ("0" if token[-1] != "0" else "1")
        await browser.navigate(site.url(forged))
        await eventually(lambda: browser.evaluate("document.body?.innerText.includes('This link is not valid')"))
    finally:
        await browser.close()
