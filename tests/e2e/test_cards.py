"""The Space card as members see it: an ended Space's summary stays final."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from demo.world import World, open_world
from tests.e2e.conftest import configure, eventually, start_space
from tests.e2e.test_audio_receive import room_of
from tests.e2e.test_recording import record

CARD_INTERVAL = 0.2  # the bot's coalescing interval in these tests (demo.world's default)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await w.start_bot(card_interval=CARD_INTERVAL, recordings_dir=str(tmp_path / "recordings"))
        await configure(w, feed_channel=w.feed_id, grace_seconds=1)
        yield w
    finally:
        await w.close()


def space_cards(world: World, title: str) -> list[dict[str, Any]]:
    """The Space's card in the Stage chat and in the feed (not the "Live now" board)."""
    found = []
    for channel_id in (world.stage_id, world.feed_id):
        for message in world.server.messages(channel_id):
            embeds = message.get("embeds") or []
            if embeds and title in str(embeds[0].get("title")) and "Live now" not in str(embeds[0].get("title")):
                found.append(message)
    return found


def all_summaries(world: World, title: str) -> bool:
    cards = space_cards(world, title)
    return len(cards) == 2 and all(
        c["embeds"][0]["title"] == f"Ended · {title}" and not c.get("components") for c in cards
    )


async def stays(check: Callable[[], bool], seconds: float) -> None:
    """`check` holds at every poll for `seconds`: a card brought back to life fails at once, naming nothing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        assert check()
        await asyncio.sleep(0.02)


async def test_an_ended_recorded_space_keeps_its_summary_card(world: World) -> None:
    await start_space(world)
    await room_of(world)
    on = await record(world, "hana", "on")
    assert "Recording is on" in on.content, on.content
    await eventually(lambda: len(space_cards(world, "Friday AMA")) == 2)

    ended = await world.slash(world.stage_id, world["hana"], "space end")
    assert "ended" in ended.content, ended.content
    await eventually(lambda: all_summaries(world, "Friday AMA"))
    # The end came with RecordingStopped; a coalesced live edit would land within one interval of the summary.
    # Five intervals: long enough to see it on a busy machine, and a live card never comes back later.
    await stays(lambda: all_summaries(world, "Friday AMA"), 5 * CARD_INTERVAL)

    deleted = await world.slash(world.stage_id, world["hana"], "space replay", action="delete")
    assert "deleted" in deleted.content, deleted.content
    await stays(lambda: all_summaries(world, "Friday AMA"), 5 * CARD_INTERVAL)
    for card in space_cards(world, "Friday AMA"):
        assert "LIVE" not in card["embeds"][0]["title"]
