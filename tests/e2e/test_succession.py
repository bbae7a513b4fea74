"""When the host leaves: the grace period, the co-host takeover, a host who comes back, and the end."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.conftest import configure, eventually, live_space, start_space


async def _with_cohost(world: Any) -> None:
    await start_space(world)
    for name in ("cole", "lee"):
        await world.server.join_voice(world.guild_id, world[name], world.stage_id)
    await eventually(lambda: _present(world, "lee"))
    record: Any = await world.slash(world.stage_id, world["hana"], "cohost add", member=world["cole"])
    assert "co-host" in record.content


async def _present(world: Any, name: str) -> bool:
    space = await live_space(world)
    return space is not None and world[name] in space.present


async def test_cohost_takes_over_after_the_grace_period(world):
    await _with_cohost(world)
    await world.server.leave_voice(world.guild_id, world["hana"])
    await eventually(lambda: _hosted_by(world, "cole"), timeout=8)
    await eventually(lambda: any("is now the host" in m["content"] for m in world.server.messages(world.stage_id)))
    assert world.server.stage_instance(world.stage_id) is not None
    assert world.server.voice_state(world.guild_id, world["cole"])["suppress"] is False


async def test_the_bot_keeps_the_stage_alive_during_the_grace(world):
    await configure(world, grace_seconds=4)
    await start_space(world)
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
    await world.server.leave_voice(world.guild_id, world["hana"])
    bot_id = world.bot.bot.user.id
    await eventually(
        lambda: (world.server.voice_state(world.guild_id, bot_id) or {}).get("suppress") is False, timeout=6
    )


async def test_host_back_within_grace_changes_nothing(world):
    await configure(world, grace_seconds=3)
    await _with_cohost(world)
    await world.server.leave_voice(world.guild_id, world["hana"])
    await asyncio.sleep(0.5)
    await world.server.join_voice(world.guild_id, world["hana"], world.stage_id)
    await asyncio.sleep(3.5)
    space = await live_space(world)
    assert space is not None and space.host_id == world["hana"] and space.cohosts == [world["cole"]]
    assert world.server.voice_state(world.guild_id, world["hana"])["suppress"] is False


async def test_without_cohost_the_space_ends_with_a_summary(world):
    await start_space(world)
    await world.server.join_voice(world.guild_id, world["lee"], world.stage_id)
    await world.server.leave_voice(world.guild_id, world["hana"])
    await eventually(lambda: world.server.stage_instance(world.stage_id) is None, timeout=8)
    titles = [e["title"] for m in world.server.messages(world.stage_id) for e in m.get("embeds") or []]
    assert "Ended · Friday AMA" in titles
    assert await live_space(world) is None


async def _hosted_by(world: Any, name: str) -> bool:
    space = await live_space(world)
    return space is not None and space.host_id == world[name]
