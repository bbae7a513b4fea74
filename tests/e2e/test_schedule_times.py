"""Times as members type them, end to end: the real bot reads "friday 8pm" in the host's zone, says what it
understood, tells a member with no zone which one it assumed, and refuses what it can't read without a trace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from demo.world import World, open_world
from tests.e2e.conftest import configure
from tests.e2e.test_schedule import events, schedule

NEW_YORK = ZoneInfo("America/New_York")
FRIDAY = 4


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await open_world(f"sqlite+aiosqlite:///{tmp_path}/spaces.db")
    try:
        await w.start_bot()
        await configure(w, feed_channel=w.feed_id)
        yield w
    finally:
        await w.close()


def next_friday_8pm(zone: tzinfo) -> datetime:
    """Worked out by hand, not by the bot's reader: the coming Friday 20:00 there, today's if still ahead."""
    local = datetime.now(zone)
    day = local.date() + timedelta(days=(FRIDAY - local.weekday()) % 7)
    start = datetime.combine(day, time(20), tzinfo=zone)
    return start if start > local else start + timedelta(days=7)


def tomorrow_at(hour: int, minute: int) -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(hour, minute), tzinfo=UTC)


async def around(expect: Callable[[], datetime], act: Callable[[], Any]) -> tuple[Any, set[int]]:
    """What the bot answered, and the timestamps it may rightly have understood: reckoned before and after, so a
    midnight (or 8 pm on a Friday) passing during the call can't fail the test."""
    before = expect()
    record = await act()
    return record, {int(before.timestamp()), int(expect().timestamp())}


async def test_friday_8pm_is_read_in_the_hosts_zone_and_shown_back(world):
    await world.slash(world.chat_id, world["hana"], "settings timezone", zone="America/New_York")
    record, stamps = await around(lambda: next_friday_8pm(NEW_YORK), lambda: schedule(world, "friday 8pm"))
    assert record.ephemeral and "is scheduled" in record.content, record.content
    assert any(f"<t:{stamp}:F>" in record.content for stamp in stamps), record.content
    assert "/settings timezone" not in record.content  # hana set hers
    [event] = events(world)
    assert int(event.start.timestamp()) in stamps

    refused: Any = await world.slash(world.chat_id, world["hana"], "space reschedule", when="next blursday 8pm")
    assert refused.ephemeral and "couldn't read" in refused.content and "`friday 8pm`" in refused.content
    assert int(events(world)[0].start.timestamp()) in stamps  # nothing moved
    moved, new_stamps = await around(
        lambda: datetime.combine(datetime.now(NEW_YORK).date() + timedelta(days=1), time(18, 30), tzinfo=NEW_YORK),
        lambda: world.slash(world.chat_id, world["hana"], "space reschedule", when="tomorrow at 6:30pm"),
    )
    assert moved.ephemeral and any(f"<t:{stamp}:F>" in moved.content for stamp in new_stamps), moved.content


async def test_a_member_without_a_zone_is_told_which_was_assumed(world):
    record, stamps = await around(lambda: tomorrow_at(18, 30), lambda: schedule(world, "tomorrow 6:30pm", "cole"))
    assert record.ephemeral and any(f"<t:{stamp}:F>" in record.content for stamp in stamps), record.content
    assert "in **UTC**" in record.content and "18:30 UTC" in record.content
    assert "`/settings timezone`" in record.content
    relative: Any = await schedule(world, "in 2h", "cole", title="Elapsed time needs no zone")
    assert "is scheduled" in relative.content and "/settings timezone" not in relative.content

    ambiguous: Any = await schedule(world, "5/6 19:00", "cole", title="Which month?")
    assert ambiguous.ephemeral and "could be 5 Jun or May 6" in ambiguous.content, ambiguous.content
    assert sorted(event.name for event in events(world)) == ["Beat-making Q&A", "Elapsed time needs no zone"]
