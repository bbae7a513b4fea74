"""`/space start` on the Stage of a scheduled Space due about now opens THAT Space (the same path as Start now):
its Discord event goes live, its audience is told once, its tickets gate the Stage, and it is not marked missed
when the grace passes. One further in the future is left alone: a separate Space starts, as before.

Host alert at its default 30 minutes (that is how early a scheduled Space may be started), a few seconds of grace
so the tests can watch it pass."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.world import World, eventually, open_world
from sandbox import ConnectRefused
from tests.e2e.conftest import configure, live_space
from tests.e2e.tickets_support import TITLE, buy, dms, has_role, schedule, sell, stripe_of

GRACE = 4.0
EARLY = {"reminder_offsets": (0,), "host_alert_seconds": 1800.0, "schedule_grace_seconds": GRACE}
SCHEDULED, ACTIVE, COMPLETED = 1, 2, 3


async def _world(tmp_path: Path, *, stripe: bool) -> World:
    world = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db", stripe=stripe)
    await world.start_bot(**EARLY)
    await configure(world, feed_channel=world.feed_id)
    return world


@pytest.fixture
async def early_world(tmp_path: Path) -> AsyncIterator[World]:
    world = await _world(tmp_path, stripe=False)
    try:
        yield world
    finally:
        await world.close()


@pytest.fixture
async def early_ticket_world(tmp_path: Path) -> AsyncIterator[World]:
    world = await _world(tmp_path, stripe=True)
    try:
        yield world
    finally:
        await world.close()


def _event(world: World) -> Any:
    [event] = world.server.scheduled_events(world.guild_id)
    return event


async def _past_the_grace(world: World) -> None:
    """Wait until the missed-start job of the scheduled Space has had its moment (and a little more)."""
    due = _event(world).start + timedelta(seconds=GRACE + 1.5)
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))


async def _remind_me(world: World, name: str) -> None:
    shown = next(m for m in reversed(world.server.messages(world.feed_id)) if m.get("embeds"))
    remind = next(
        c["custom_id"]
        for row in shown.get("components") or []
        for c in row["components"]
        if str(c.get("custom_id", "")).startswith("sp:remind:")
    )
    record = await world.server.click(world[name], shown["id"], remind, timeout=10.0)
    assert "I'll DM you" in (record.content or ""), record.content


async def test_space_start_opens_the_ticketed_space_due_soon_and_its_tickets_follow(early_ticket_world: World) -> None:
    world = early_ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await schedule(world, when="in 8s")  # within the 30 minutes in which it may be started
    await sell(world, price=5)
    await stripe_of(world).pay(await buy(world, "cole"))
    await eventually(lambda: has_role(world, "cole"))
    await server.join_voice(gid, world["lee"], stage)  # no ticket, waiting on the Stage
    await server.join_voice(gid, world["hana"], stage)

    record = await world.slash(stage, world["hana"], "space start")  # no title: the scheduled one's
    text = record.content or ""
    assert record.ephemeral and f"with your scheduled Space **{TITLE}**" in text, text
    assert "Only ticket holders" in text and "It runs as" not in text
    space = await live_space(world)
    assert space is not None and (space.title, space.topics) == (TITLE, ("beats",))
    await eventually(lambda: _event(world).status == ACTIVE)

    await eventually(lambda: server.voice_state(gid, world["lee"]) is None)  # the doors closed: moved out
    await eventually(lambda: bool(dms(world, "lee", "ticket holders only")))
    with pytest.raises(ConnectRefused):
        await server.join_voice(gid, world["lee"], stage)
    await server.join_voice(gid, world["cole"], stage)  # the holder gets in
    await eventually(lambda: bool(dms(world, "cole", "your ticket lets you on the Stage")))

    await _past_the_grace(world)
    assert _event(world).status == ACTIVE and server.voice_state(gid, world["cole"]) is not None
    assert stripe_of(world).objects("refund") == [] and has_role(world, "cole")
    assert not dms(world, "cole", "is refunded") and not dms(world, "hana", "did not start")
    assert (await world.bot.bot.app.schedules.of_live_space(space.id)).state.value == "live"

    ended = await world.slash(stage, world["hana"], "space end")
    assert "ended" in (ended.content or ""), ended.content
    await eventually(lambda: _event(world).status == COMPLETED)
    await eventually(lambda: not has_role(world, "cole"))
    assert stripe_of(world).objects("refund") == []


async def test_space_start_after_the_start_opens_the_scheduled_space_under_the_typed_title(
    early_world: World,
) -> None:
    world = early_world
    gid, stage = world.guild_id, world.stage_id
    await world.slash(world.chat_id, world["cole"], "follow", host=world["hana"])
    await schedule(world, when="in 2s", title="Beat-making Q&A")
    await _remind_me(world, "lee")
    await world.server.set_event_interest(gid, _event(world).id, world["maya"])
    await eventually(lambda: bool(dms(world, "hana", "It's time")), timeout=10)  # due: the Start now prompt

    await world.server.join_voice(gid, world["hana"], stage)
    record = await world.slash(stage, world["hana"], "space start", title="Beat-making Q&A — live!", topics="808")
    text = record.content or ""
    assert "with your scheduled Space **Beat-making Q&A**" in text, text
    assert "It runs as **Beat-making Q&A — live!**" in text and "You're on stage as the host" in text
    assert "ticket" not in text
    space = await live_space(world)
    assert space is not None and (space.title, space.topics) == ("Beat-making Q&A — live!", ("808",))
    await eventually(lambda: _event(world).status == ACTIVE)
    for name in ("lee", "maya"):  # Remind me and Interested: told once, by the name they know it by
        await eventually(lambda name=name: bool(dms(world, name, "**Beat-making Q&A** by")))
    await eventually(lambda: bool(dms(world, "cole", "is live:")))  # the follower: the go-live DM only

    await _past_the_grace(world)
    await world.bot.bot.dms.drain()
    assert _event(world).status == ACTIVE
    assert [len(dms(world, n, "is live now")) for n in ("lee", "maya", "cole")] == [1, 1, 0]
    assert not any(dms(world, n, "did not start") for n in ("lee", "maya", "cole", "hana"))
    await world.slash(stage, world["hana"], "space end")
    await eventually(lambda: _event(world).status == COMPLETED)


async def test_a_scheduled_space_further_out_is_left_alone(early_ticket_world: World) -> None:
    world = early_ticket_world
    server, gid, stage = world.server, world.guild_id, world.stage_id
    await server.join_voice(gid, world["hana"], stage)
    untitled = await world.slash(stage, world["hana"], "space start")  # nothing scheduled: a title is needed
    assert untitled.ephemeral and "Give your Space a title" in (untitled.content or ""), untitled.content
    assert await live_space(world) is None

    await schedule(world, when="in 2h")  # beyond the 30 minutes: not startable yet
    await sell(world, price=5)
    record = await world.slash(stage, world["hana"], "space start", title="Warm-up")
    assert "You're live" in (record.content or "") and "scheduled" not in (record.content or ""), record.content
    space = await live_space(world)
    assert space is not None and space.title == "Warm-up"
    await server.join_voice(gid, world["lee"], stage)  # no ticket needed: this one is not the ticketed Space
    await asyncio.sleep(0.5)
    assert server.voice_state(gid, world["lee"]) is not None and _event(world).status == SCHEDULED
    [upcoming] = await world.bot.bot.app.schedules.upcoming(gid, 0)
    assert upcoming.title == TITLE and upcoming.live_space_id is None
