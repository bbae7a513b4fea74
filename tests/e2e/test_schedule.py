"""Scheduled Spaces end to end: the real bot, its apscheduler jobs in SQLite, the local Discord-compatible server.

Reminders 2 s before and at the start, the host's alert 1 s before, a 2.5 s grace: every job fires within
seconds, so the tests watch what members would see (DMs, the feed, the Discord event) as it happens.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from demo.world import World, open_world
from spaces_core.store.database import create_engine
from tests.e2e.conftest import configure, eventually

FAST = {"reminder_offsets": (2, 0), "host_alert_seconds": 1.0, "schedule_grace_seconds": 2.5}
TITLE = "Beat-making Q&A"
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await w.start_bot(**FAST)
        await configure(w, feed_channel=w.feed_id)
        yield w
    finally:
        await w.close()


async def schedule(world: World, when: str, host: str = "hana", title: str = TITLE) -> Any:
    return await world.slash(
        world.chat_id, world[host], "space schedule", title=title, when=when, topics="beats", channel=world.stage_id
    )


def dms(world: World, name: str, words: str) -> list[dict[str, Any]]:
    return [m for m in world.server.dms(world[name]) if words in m["content"]]


def card(world: World) -> dict[str, Any]:
    return next(m for m in world.server.messages(world.feed_id) if _button(m, "sp:remind:"))


def _button(message: dict[str, Any], prefix: str) -> str | None:
    for row in message.get("components") or []:
        for component in row["components"]:
            if component.get("custom_id", "").startswith(prefix):
                return str(component["custom_id"])
    return None


def events(world: World) -> list[Any]:
    return world.server.scheduled_events(world.guild_id)


async def test_schedule_card_remind_me_interest_reminders_and_start_now(world):
    await world.slash(world.chat_id, world["cole"], "follow", host=world["hana"])
    record = await schedule(world, "in 5s")
    assert record.ephemeral and "is scheduled" in record.content, record.content
    [event] = events(world)
    assert (event.name, event.channel_id, event.entity_type, event.status) == (TITLE, world.stage_id, 1, SCHEDULED)
    shown = card(world)
    assert shown["embeds"][0]["title"] == f"🗓️ Upcoming · {TITLE}"
    assert "<t:" in shown["embeds"][0]["fields"][2]["value"] and ":R>" in shown["embeds"][0]["fields"][2]["value"]
    assert [a["filename"] for a in shown["attachments"]] == ["space.ics"]
    remind = _button(shown, "sp:remind:")
    assert remind is not None
    on: Any = await world.server.click(world["lee"], shown["id"], remind)
    off: Any = await world.server.click(world["lee"], shown["id"], remind)
    again: Any = await world.server.click(world["lee"], shown["id"], remind)
    assert on.ephemeral and "I'll DM you" in on.content and "No more reminders" in off.content
    assert "I'll DM you" in again.content
    await world.server.set_event_interest(world.guild_id, event.id, world["maya"])
    world.server.set_dm_refused(world["sam"])
    await world.server.click(world["sam"], shown["id"], remind)

    for name in ("cole", "lee", "maya"):  # follower, Remind me, Interested: each reminder, once
        await eventually(lambda name=name: dms(world, name, "is starting now"), timeout=10)
        assert len(dms(world, name, "⏰")) == 2, world.server.dms(world[name])
    assert dms(world, "hana", "starts <t:") and not dms(world, "hana", "⏰")  # the host's alert, no reminders

    def fallback() -> list[dict[str, Any]]:
        return [m for m in world.server.messages(world.feed_id) if f"<@{world['sam']}>" in m["content"]]

    await eventually(lambda: len(fallback()) == 2)
    assert "don't accept DMs" in fallback()[0]["content"] and not world.server.dms(world["sam"])

    await eventually(lambda: dms(world, "hana", "It's time"))
    prompt = dms(world, "hana", "It's time")[0]
    pressed: Any = await world.server.click(world["hana"], prompt["id"], _button(prompt, "sp:go:"))
    await pressed.wait_done(timeout=10)  # deferred: opening the Stage takes a few Discord calls
    assert "You're live" in pressed.content, pressed.content
    await eventually(lambda: events(world)[0].status == ACTIVE)
    assert await world.bot.bot.app.spaces.live_in_channel(world.guild_id, world.stage_id) is not None
    for name in ("lee", "maya"):  # Remind me and Interested: told it is live, once
        await eventually(lambda name=name: dms(world, name, "is live now"))
    await eventually(lambda: dms(world, "cole", "is live:"))  # the follower: the go-live DM only
    assert not dms(world, "cole", "is live now") and not dms(world, "hana", "is live")
    await asyncio.sleep(3)  # past the grace: a started Space is not marked missed
    assert events(world)[0].status == ACTIVE and not dms(world, "cole", "did not start")
    ended: Any = await world.slash(world.stage_id, world["hana"], "space end")
    assert ended.ephemeral, ended.content
    await eventually(lambda: events(world)[0].status == COMPLETED)
    assert await _stored(world) == ["ended"]


async def test_reschedule_silences_old_reminders_and_cancel_tells_the_audience(world):
    await schedule(world, "in 3s")
    await world.server.click(world["lee"], card(world)["id"], _button(card(world), "sp:remind:"))
    moved: Any = await world.slash(world.chat_id, world["hana"], "space reschedule", when="in 10 minutes")
    assert moved.ephemeral and "now starts" in moved.content, moved.content
    await eventually(lambda: dms(world, "lee", "moved from"))
    assert events(world)[0].start > datetime.now(UTC) + timedelta(minutes=9)
    await asyncio.sleep(3.5)  # the old reminder times pass
    assert not dms(world, "lee", "⏰") and not dms(world, "hana", "It's time")
    cancelled: Any = await world.slash(world.chat_id, world["hana"], "space cancel")
    assert cancelled.ephemeral and "cancelled" in cancelled.content
    await eventually(lambda: events(world)[0].status == CANCELED)
    await eventually(lambda: dms(world, "lee", "is cancelled"))
    shown = next(m for m in world.server.messages(world.feed_id) if m["embeds"] and TITLE in m["embeds"][0]["title"])
    assert shown["embeds"][0]["title"].startswith("Cancelled") and not shown["components"]


async def test_a_missed_start_cancels_the_event_and_tells_the_audience(world):
    await schedule(world, "in 2s")
    await world.server.click(world["lee"], card(world)["id"], _button(card(world), "sp:remind:"))
    await eventually(lambda: dms(world, "lee", "did not start"), timeout=10)
    assert events(world)[0].status == CANCELED
    await eventually(lambda: dms(world, "hana", "did not start"))
    assert await _stored(world) == ["missed"]


async def test_a_restart_before_the_reminder_delivers_it_exactly_once(world):
    await schedule(world, "in 4s")
    await world.server.click(world["lee"], card(world)["id"], _button(card(world), "sp:remind:"))
    await world.stop_bot()
    await asyncio.sleep(1.0)
    await world.start_bot()
    await eventually(lambda: dms(world, "lee", "is starting now"), timeout=10)
    await asyncio.sleep(1.5)
    assert len(dms(world, "lee", "is starting now")) == 1
    assert len(dms(world, "lee", "⏰")) <= 2  # the 2 s one may be dropped as too late, never doubled


async def test_bad_input_is_refused_privately_and_stores_nothing(world):
    zone: Any = await world.slash(world.chat_id, world["hana"], "settings timezone", zone="Mars/Base")
    assert zone.ephemeral and "don't know the time zone" in zone.content
    await world.slash(world.chat_id, world["hana"], "settings timezone", zone="Asia/Tokyo")
    past = int(datetime(2020, 1, 1, 1, tzinfo=UTC).timestamp())  # 10:00 in Tokyo, shown in the reader's own zone
    for when, words in (
        ("2020-01-01 10:00", f"That time (<t:{past}:f>) is in the past."),
        ("in 40 days", ":F>) is too far ahead: Spaces can be scheduled at most 30 days ahead."),
        ("next blue moon", "couldn't read `next blue moon` as a time. Try `friday 8pm`"),
        ("next blue moon", "or a Discord timestamp such as `<t:1767225600:F>`."),
    ):
        refused: Any = await schedule(world, when)
        assert refused.ephemeral and words in refused.content, refused.content
    assert not events(world) and not await _stored(world) and not world.server.messages(world.feed_id)[1:]
    await schedule(world, "tomorrow 09:00", title="Session 0")  # 09:00 in Tokyo is midnight UTC
    assert events(world)[0].start.astimezone(UTC).hour == 0
    for n in range(1, 10):
        await schedule(world, f"in {n} days", title=f"Session {n}")
    eleventh: Any = await schedule(world, "in 12 days", title="One too many")
    assert eleventh.ephemeral and "limit is 10" in eleventh.content
    assert len(events(world)) == 10 and len(await _stored(world)) == 10
    await world.slash(world.chat_id, world["lee"], "follow", host=world["cole"])
    await schedule(world, "in 20 days", host="cole", title="Cole's late show")
    listing: Any = await world.slash(world.chat_id, world["lee"], "space upcoming")
    lines = listing.content.splitlines()
    assert listing.ephemeral and "⭐ **Cole's late show**" in lines[1] and lines[2].startswith("**Session")


async def _stored(world: World) -> list[str]:
    """The state of every scheduled Space in the store, read the way an operator would."""
    engine = create_engine(world.database_url)
    try:
        async with engine.connect() as conn:
            return [row.state for row in await conn.execute(text("SELECT state FROM scheduled_spaces"))]
    finally:
        await engine.dispose()


async def test_reminder_offsets_are_set_per_server(world):
    bad: Any = await world.slash(world.chat_id, world.owner, "server-settings", reminders="24h, 45d")
    assert bad.ephemeral and "30 days before" in bad.content, bad.content
    unread: Any = await world.slash(world.chat_id, world.owner, "server-settings", reminders="soon", speaker_limit=3)
    assert unread.ephemeral and "24h, 15m, 0" in unread.content
    by_member: Any = await world.slash(world.chat_id, world["lee"], "server-settings", reminders="1h")
    assert by_member.ephemeral and "admins" in by_member.content
    assert (await world.bot.bot.app.settings.policy(world.guild_id)).reminder_offsets is None  # nothing stored

    saved: Any = await world.slash(world.chat_id, world.owner, "server-settings", reminders="4s")
    assert saved.ephemeral and "Reminders before scheduled Spaces: 4s" in saved.content, saved.content
    await schedule(world, "in 6s")
    await world.server.click(world["lee"], card(world)["id"], _button(card(world), "sp:remind:"))
    await eventually(lambda: dms(world, "hana", "It's time"), timeout=10)
    reminded = dms(world, "lee", "⏰")  # the server's one reminder, 4 s before; not the bot's 2 s and 0
    assert len(reminded) == 1 and "starts in 1 minute" in reminded[0]["content"], reminded
