"""The recaps owed, on SQLite and PostgreSQL: owed once per ended Space with its web peak, no longer owed once
posted, given up a day after the end; the recap itself built from the phrases stored for the Space."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spaces_core.domain.space import Space
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.recaps import GIVE_UP_AFTER, RecapService
from spaces_core.services.transcripts import TranscriptService
from tests.fakes import FakeClock
from tests.unit.recap_conversation import DRE, KIM, MAYA, SPACE_ID, conversation

T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


async def ended_space(uows: UnitOfWorkFactory, space_id: str, minutes: float = 5) -> Space:
    space, _ = Space.open(
        space_id=space_id, guild_id=7, channel_id=8, host_id=MAYA, title="Beat club", topics="drums", now=T0
    )
    space.links.append("https://beats.example/pack")
    space.peak_listeners = 12
    space.end(None, T0 + timedelta(minutes=minutes))
    async with uows() as uow:
        await uow.spaces.add(space)
        await uow.commit()
    return space


async def test_a_recap_is_owed_once_and_no_longer_once_posted(uows: UnitOfWorkFactory) -> None:
    clock = FakeClock(T0 + timedelta(minutes=10))
    recaps = RecapService(uows, clock)
    await ended_space(uows, "a")
    await ended_space(uows, "b")
    assert await recaps.owe("a", 3)
    assert not await recaps.owe("a", 9), "the end seen twice owes one recap"
    assert await recaps.owe("b", 0)
    assert [(o.space.id, o.web_peak) for o in await recaps.owed()] == [("a", 3), ("b", 0)]
    await recaps.posted("a", 2**63 - 1)
    assert [o.space.id for o in await recaps.owed()] == ["b"]
    assert not await recaps.owe("a", 3), "a posted recap is never owed again"


async def test_a_recap_owed_for_over_a_day_is_given_up(uows: UnitOfWorkFactory) -> None:
    clock = FakeClock(T0)
    recaps = RecapService(uows, clock)
    await ended_space(uows, "old")
    await recaps.owe("old", 1)
    clock.current = T0 + timedelta(minutes=5) + GIVE_UP_AFTER + timedelta(seconds=1)
    assert await recaps.owed() == []
    assert await recaps.owed() == [], "given up for good, not owed again"


async def test_the_recap_is_built_from_the_stored_phrases_and_the_spaces_facts(uows: UnitOfWorkFactory) -> None:
    space = await ended_space(uows, SPACE_ID, minutes=42)
    await TranscriptService(uows).add(conversation())
    recap = await RecapService(uows, FakeClock(T0)).recap(space, web_peak=4)
    assert recap.facts.duration == timedelta(minutes=42)
    assert (recap.facts.peak_listeners_discord, recap.facts.peak_listeners_web) == (12, 4)
    assert {t.speaker_id for t in recap.talk_time} == {MAYA, DRE, KIM}
    assert 3 <= len(recap.quotes) <= 5 and recap.questions and recap.chapters
    assert recap.links == ("https://beats.example/pack", "https://beats.example/upload")


async def test_a_space_without_a_transcript_has_a_recap_of_its_facts_only(uows: UnitOfWorkFactory) -> None:
    space = await ended_space(uows, "silent")
    recap = await RecapService(uows, FakeClock(T0)).recap(space, web_peak=0)
    assert not (recap.talk_time or recap.quotes or recap.questions or recap.chapters)
    assert recap.links == ("https://beats.example/pack",)
