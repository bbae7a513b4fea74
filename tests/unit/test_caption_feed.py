"""The live captions feed: what readers see, when they are woken, and that readers leave nothing behind."""

from __future__ import annotations

import asyncio

from bot.captions.feed import KEEP_LINES, CaptionFeed, CaptionLine

SPACE, OTHER = "space-a", "space-b"


def line(n: int, name: str = "hana") -> CaptionLine:
    return CaptionLine(speaker_id=1, name=name, start_s=float(n), end_s=n + 0.5, text=f"phrase {n}")


async def waiting(feed: CaptionFeed, space_id: str, seen: int) -> asyncio.Task[int]:
    """A reader blocked in `changed` (one loop turn runs it to its wait)."""
    reader = asyncio.create_task(feed.changed(space_id, seen))
    await asyncio.sleep(0)
    assert not reader.done()
    return reader


def test_recent_is_the_newest_lines_oldest_first_and_the_ring_is_bounded() -> None:
    feed = CaptionFeed()
    for n in range(KEEP_LINES + 3):
        feed.publish(SPACE, line(n))
    assert [x.text for x in feed.recent(SPACE, 3)] == [f"phrase {n}" for n in range(KEEP_LINES, KEEP_LINES + 3)]
    assert len(feed.recent(SPACE, 1000)) == KEEP_LINES
    assert feed.recent(SPACE, 0) == [] and feed.recent(SPACE, -2) == []
    assert feed.recent(OTHER) == []


def test_a_snapshot_reads_everything_together_and_creates_nothing() -> None:
    feed = CaptionFeed()
    blank = feed.snapshot(SPACE)
    assert (blank.on, blank.delayed, blank.lines, blank.version) == (False, False, (), 0)
    assert SPACE not in feed
    feed.set_on(SPACE, True)
    feed.publish(SPACE, line(1))
    feed.publish(SPACE, line(2))
    feed.set_delayed(SPACE, True)
    seen = feed.snapshot(SPACE, 1)
    assert (seen.on, seen.delayed, [x.text for x in seen.lines]) == (True, True, ["phrase 2"])
    assert seen.version == feed.state(SPACE).version == 4
    assert feed.snapshot(SPACE, 0).lines == ()


def test_only_real_changes_count_and_turning_off_clears_delayed() -> None:
    feed = CaptionFeed()
    feed.set_on(SPACE, False)
    feed.set_delayed(SPACE, False)
    assert feed.snapshot(SPACE).version == 0
    feed.set_on(SPACE, True)
    feed.set_on(SPACE, True)
    feed.set_delayed(SPACE, True)
    feed.set_delayed(SPACE, True)
    assert feed.snapshot(SPACE).version == 2
    feed.set_on(SPACE, False)
    after = feed.snapshot(SPACE)
    assert (after.on, after.delayed, after.version) == (False, False, 3)


async def test_changed_returns_at_once_when_behind_and_wakes_every_reader_on_a_change() -> None:
    feed = CaptionFeed()
    feed.set_on(SPACE, True)
    assert await feed.changed(SPACE, 0) == 1
    first, second = await waiting(feed, SPACE, 1), await waiting(feed, SPACE, 1)
    other = await waiting(feed, OTHER, 0)
    feed.publish(SPACE, line(1))
    assert await first == 2 and await second == 2
    await asyncio.sleep(0)
    assert not other.done()  # another Space's change wakes nobody here
    other.cancel()


async def test_forget_wakes_readers_and_drops_the_lines() -> None:
    feed = CaptionFeed()
    feed.set_on(SPACE, True)
    feed.publish(SPACE, line(1))
    reader = await waiting(feed, SPACE, 2)
    feed.forget(SPACE)
    assert await reader == 3
    assert feed.recent(SPACE) == [] and SPACE not in feed
    feed.forget(SPACE)  # twice is harmless


async def test_readers_of_a_space_nobody_writes_to_leave_no_entry_behind() -> None:
    feed = CaptionFeed()
    readers = [await waiting(feed, SPACE, 0) for _ in range(2)]
    assert SPACE in feed
    readers[0].cancel()
    await asyncio.gather(readers[0], return_exceptions=True)
    assert SPACE in feed  # one reader still waits on it
    readers[1].cancel()
    await asyncio.gather(readers[1], return_exceptions=True)
    assert SPACE not in feed


async def test_a_space_written_to_while_read_keeps_its_entry() -> None:
    feed = CaptionFeed()
    reader = await waiting(feed, SPACE, 0)
    feed.set_on(SPACE, True)
    assert await reader == 1
    assert SPACE in feed and feed.snapshot(SPACE).on


def test_turning_captions_back_on_starts_without_the_old_lines() -> None:
    feed = CaptionFeed()
    feed.set_on(SPACE, True)
    feed.publish(SPACE, line(1))
    feed.set_on(SPACE, False)
    assert [x.text for x in feed.recent(SPACE)] == ["phrase 1"]  # still there for a last look after off
    feed.set_on(SPACE, True)
    assert feed.recent(SPACE) == []
