"""The Space card and the lists members make long, as members see them: an ended Space's summary stays final;
five long pinned links, fifteen upcoming Spaces and 85 raised hands stay within what Discord accepts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from demo.world import World, open_world
from spaces_core.domain.rules import MAX_LINKS, MAX_URL
from tests.discord_limits import discord_refusals
from tests.e2e.conftest import configure, eventually, live_space, press, start_space
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
    """The Space's card in the Stage chat and in the feed."""
    found = []
    for channel_id in (world.stage_id, world.feed_id):
        for message in world.server.messages(channel_id):
            shown = str(((message.get("embeds") or [{}])[0]).get("title"))
            # Not the board, nor the recap that replies to the card once the Space ends.
            if title in shown and "Live now" not in shown and not shown.startswith("Recap"):
                found.append(message)
    return found


def all_summaries(world: World, title: str) -> bool:
    cards = space_cards(world, title)
    return len(cards) == 2 and all(
        c["embeds"][0]["title"] == f"Ended · {title}" and not c.get("components") for c in cards
    )


async def stays(check: Callable[[], bool], seconds: float) -> None:
    """`check` holds at every poll for `seconds`: a card brought back to life fails the test when it shows up."""
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

    asked = await world.slash(world.stage_id, world["hana"], "space replay", action="delete")
    deleted = await press(world, world["hana"], asked, "Confirm")
    assert "deleted" in deleted.message["content"], deleted.message
    await stays(lambda: all_summaries(world, "Friday AMA"), 5 * CARD_INTERVAL)
    for card in space_cards(world, "Friday AMA"):
        assert "LIVE" not in card["embeds"][0]["title"]


def long_link(index: int) -> str:
    head = f"https://example.com/notes/{index}?q="
    return head + "x" * (MAX_URL - len(head))


async def test_five_of_the_longest_pinned_links_keep_the_card_within_discords_limits(world: World) -> None:
    await start_space(world)
    for index in range(MAX_LINKS):
        pinned = await world.slash(world.stage_id, world["hana"], "space pin", url=long_link(index))
        assert "Pinned" in (pinned.content or ""), pinned.content
        assert discord_refusals(pinned.message or {}) == []

    def all_links_shown() -> bool:
        cards = space_cards(world, "Friday AMA")
        return len(cards) == 2 and all(long_link(4) in str(c["embeds"][0]["fields"]) for c in cards)

    await eventually(all_links_shown)
    for card in space_cards(world, "Friday AMA"):
        assert discord_refusals(card) == [], card["embeds"][0]
        fields = card["embeds"][0]["fields"]
        shown = "\n".join(f["value"] for f in fields if f["name"] in ("Pinned links", "\u200b"))
        assert all(f"[example.com/notes/{i}…](<{long_link(i)}>)" in shown for i in range(MAX_LINKS)), shown


async def test_upcoming_with_fifteen_long_titled_spaces_is_one_message_discord_takes(world: World) -> None:
    for index in range(15):
        host = "hana" if index < 8 else "cole"  # at most 10 upcoming per host
        title = f"Beat making clinic, part {index + 1}: sampling and drums"
        planned = await world.slash(
            world.chat_id, world[host], "space schedule", title=title, when=f"in {index + 2}h", channel=world.stage_id
        )
        assert "is scheduled" in (planned.content or ""), planned.content
    listing = await world.slash(world.chat_id, world["lee"], "space upcoming")
    text = listing.content or ""
    assert discord_refusals(listing.message or {}) == [], len(text)
    listed = text.count("Beat making clinic")
    assert text.startswith("**Upcoming Spaces**") and 0 < listed < 15
    assert text.endswith(f"…and {15 - listed} more."), text[-80:]
    assert "part 1:" in text  # the soonest come first


HANDS = 85  # their list alone, one mention a line, is over 2,000 characters


async def eventually_all_queued(queued: Callable[[], Awaitable[int]], stalled_after: float = 30.0) -> None:
    """Wait until every hand is queued, for as long as the queue keeps growing: 85 hands are 85 transactions,
    and a busy machine (load 15 in a fresh CI run) took longer than any fixed timeout chosen here."""
    loop = asyncio.get_running_loop()
    seen, deadline = -1, 0.0
    while (count := await queued()) != HANDS:
        if count != seen:
            seen, deadline = count, loop.time() + stalled_after
        assert loop.time() < deadline, f"the queue stopped growing at {count} of {HANDS} hands"
        await asyncio.sleep(0.1)


async def test_the_panel_with_85_raised_hands_fits_and_brings_up_one_from_its_menu(world: World) -> None:
    await start_space(world)
    hands = [world.server.add_member(world.guild_id, f"listener{i}") for i in range(HANDS)]
    for user_id in hands:
        await world.server.join_voice(world.guild_id, user_id, world.stage_id)
        await world.server.raise_hand(world.guild_id, user_id)

    async def queued() -> int:
        space = await live_space(world)
        return 0 if space is None else len(space.queue)

    await eventually_all_queued(queued)
    panel = await world.slash(world.stage_id, world["hana"], "space panel")
    assert panel.message is not None
    assert discord_refusals(panel.message) == [], len(panel.content or "")
    assert f"{HANDS} waiting" in (panel.content or "") and (panel.content or "").endswith("more.")
    space = await live_space(world)
    menu = panel.message["components"][-1]["components"][0]
    tenth = space.queue[9]
    assert str(tenth) in [o["value"] for o in menu["options"]]
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
    refused = await world.server.click(world["lee"], panel.message_id, menu["custom_id"], values=[str(tenth)])
    assert refused.ephemeral and "only" in (refused.content or "").lower(), refused.content
    assert world.server.voice_state(world.guild_id, tenth)["suppress"] is True
    picked = await world.server.click(world["hana"], panel.message_id, menu["custom_id"], values=[str(tenth)])
    assert "is now a speaker" in (picked.content or ""), picked.content
    await eventually(lambda: world.server.voice_state(world.guild_id, tenth)["suppress"] is False)
