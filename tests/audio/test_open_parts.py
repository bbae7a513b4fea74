"""`OpenParts`: which Spaces have a recording part open, and a wait for one to close (a replay asked for the moment
its Space ends waits for the last part instead of hearing there is none)."""

from __future__ import annotations

import asyncio

from bot.audio.replays import OpenParts


async def test_closed_waits_until_the_part_closes() -> None:
    parts = OpenParts()
    parts.add("s1")
    waiting = asyncio.create_task(parts.closed("s1", within=5.0))
    await asyncio.sleep(0.05)
    assert not waiting.done() and "s1" in parts
    parts.discard("s1")
    assert await waiting is True
    assert "s1" not in parts


async def test_closed_gives_up_after_its_time_and_says_the_part_is_still_open() -> None:
    parts = OpenParts()
    parts.add("s1")
    assert await parts.closed("s1", within=0.05) is False
    assert "s1" in parts


async def test_a_space_with_no_open_part_is_closed_at_once_and_discard_twice_is_harmless() -> None:
    parts = OpenParts()
    assert await parts.closed("never", within=0.0) is True
    parts.add("s1")
    parts.discard("s1")
    parts.discard("s1")
    assert await parts.closed("s1", within=0.0) is True
