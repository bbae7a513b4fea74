"""A restart in the middle of a Space, follows with go-live DMs, the live board, and voice-channel Spaces."""

from __future__ import annotations

from typing import Any

from demo.world import open_world
from tests.e2e.conftest import eventually, live_space, start_space, voice


async def test_restart_mid_space_restores_state_and_old_buttons_work(world):
    await start_space(world)
    await world.server.join_voice(world.guild_id, world["cole"], world.stage_id)
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
    await eventually(lambda: _present(world, "lee"))
    await world.server.raise_hand(world.guild_id, world["cole"])
    await eventually(lambda: _queued(world, "cole"))
    await world.stop_bot()
    await world.server.leave_voice(world.guild_id, world["lee"])  # happens while the bot is down
    await world.start_bot()
    await eventually(lambda: _absent(world, "lee"))
    space = await live_space(world)
    assert space.host_id == world["hana"] and world["cole"] in space.queue
    card = next(m for m in world.server.messages(world.stage_id) if m.get("components"))
    request = next(
        c["custom_id"] for row in card["components"] for c in row["components"] if c["custom_id"].startswith("sp:req:")
    )
    await world.server.join_voice(world.guild_id, world["maya"], world.stage_id)
    await eventually(lambda: _present(world, "maya"))
    record: Any = await world.server.click(world["maya"], card["id"], request)
    assert record.ephemeral and "number 2" in record.content
    await world.slash(world.stage_id, world["hana"], "stage approve", member=world["cole"])
    await eventually(lambda: voice(world, "cole")["suppress"] is False)


async def test_followers_are_dmed_and_the_live_board_lists_the_space(world):
    record: Any = await world.slash(world.chat_id, world["cole"], "follow", host=world["hana"])
    assert "follow" in record.content
    await world.slash(world.chat_id, world["lee"], "follow", host=world["hana"])
    await world.slash(world.chat_id, world["lee"], "settings notifications", live_dms=False)
    await start_space(world)
    await eventually(lambda: any("is live" in m["content"] for m in world.server.dms(world["cole"])))
    assert not world.server.dms(world["lee"])
    await eventually(
        lambda: any(
            "Friday AMA" in str(e.get("description"))
            for m in world.server.messages(world.feed_id)
            for e in m.get("embeds") or []
        )
    )
    listing: Any = await world.slash(world.chat_id, world["cole"], "following")
    assert str(world["hana"]) in listing.content and "2 followers" in listing.content


async def test_voice_channel_space_mutes_listeners_and_unmutes_speakers(tmp_path):
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", community=False)
    try:
        await world.start_bot()
        await world.server.join_voice(world.guild_id, world["hana"], world.voice_id)
        record: Any = await world.slash(world.voice_id, world["hana"], "space start", title="Jam")
        assert "live" in record.content
        await world.server.join_voice(world.guild_id, world["cole"], world.voice_id)
        await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"])["mute"] is True)
        message_id, custom_id = next(
            (m["id"], c["custom_id"])
            for m in world.server.messages(world.voice_id)
            for row in m.get("components") or []
            for c in row["components"]
            if c["custom_id"].startswith("sp:req:")
        )
        await world.server.click(world["cole"], message_id, custom_id)
        await world.slash(world.voice_id, world["hana"], "stage approve", member=world["cole"])
        await eventually(lambda: world.server.voice_state(world.guild_id, world["cole"])["mute"] is False)
    finally:
        await world.close()


async def _present(world: Any, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in space.present


async def _absent(world: Any, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] not in space.present


async def _queued(world: Any, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in space.queue


async def test_live_board_is_one_pinned_message_busiest_space_first(world):
    await start_space(world, title="Quiet room")
    second = world.server.add_stage_channel(world.guild_id, "Big Stage")
    await world.server.wait_for(lambda: world.bot.bot.get_channel(second) is not None)
    await world.server.join_voice(world.guild_id, world["cole"], second)
    await world.slash(second, world["cole"], "space start", title="Busy room")
    for name in ("lee", "maya", "sam"):
        await world.server.join_voice(world.guild_id, world[name], second)

    def boards() -> list[dict[str, Any]]:
        return [
            m
            for m in world.server.messages(world.feed_id)
            for e in m.get("embeds") or []
            if e["title"] == "🔴 Live now"
        ]

    await eventually(lambda: len(boards()) == 1 and "3 listening" in boards()[0]["embeds"][0]["description"])
    board = boards()[0]
    assert board["pinned"] is True
    lines = board["embeds"][0]["description"].splitlines()
    assert "Busy room" in lines[0] and "Quiet room" in lines[1]
