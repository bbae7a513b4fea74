"""The bot's sampler over the real store and real audio rooms: a long Space stays within its bound in the
database, its first sample kept; talk time counted by a room is written once, a room that closes keeps what it
counted, and one that opens again counts on from there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.audio.rooms import AudioRooms
from bot.stats.sampler import FRAME_MS, StatsSampler
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.stats import StatsService
from tests.fakes import FakeClock

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
HOST, LISTENER = 11, 12


@pytest.fixture
async def rooms() -> AsyncIterator[AudioRooms]:
    audio = AudioRooms(web_host="127.0.0.1")
    try:
        yield audio
    finally:
        await audio.stop()


async def open_space(uows: UnitOfWorkFactory) -> Space:
    space, _ = Space.open(space_id="s1", guild_id=7, channel_id=8, host_id=HOST, title="AMA", topics="", now=T0)
    space.join(LISTENER, T0)
    async with uows() as uow:
        await uow.spaces.add(space)
        await uow.commit()
    return space


async def no_live() -> list[Space]:
    return []


async def test_a_long_space_stays_within_its_bound(uows: UnitOfWorkFactory, rooms: AudioRooms) -> None:
    clock = FakeClock(T0)
    stats = StatsService(uows, clock)
    sampler = StatsSampler(stats, rooms, no_live, clock, interval=5, max_samples=8)
    space = await open_space(uows)
    await sampler.follow(space)
    for _ in range(100):
        await sampler.sample_all()
        clock.advance(5)
        assert await stats.stored(space.id) < 8
    chart = (await stats.view(space.id, Actor(HOST), 7)).chart
    assert chart.minutes[0] == 0.0, "the start is kept"
    gaps = {round(b - a, 6) for a, b in zip(chart.minutes, chart.minutes[1:], strict=False)}
    assert len(gaps) == 1, gaps
    assert chart.discord == [1] * len(chart.minutes) and chart.speakers == [1] * len(chart.minutes)
    space.end(None, clock.now())
    await sampler.follow(space)
    await sampler.sample_all()
    assert len((await stats.view(space.id, Actor(HOST), 7)).chart.minutes) == len(chart.minutes), "ended: no more"


async def test_talk_time_survives_a_room_closing_and_opening_again(uows: UnitOfWorkFactory, rooms: AudioRooms) -> None:
    clock = FakeClock(T0)
    stats = StatsService(uows, clock)
    sampler = StatsSampler(stats, rooms, no_live, clock, interval=5, max_samples=100)
    rooms.watch(sampler.room_opened, sampler.room_closing)
    space = await open_space(uows)
    await sampler.follow(space)
    room = rooms.open(space)
    room.talk_frames[HOST] = 50  # what the mixer counts on each audible 20 ms frame (SpaceAudio._on_frame)
    await sampler.sample_all()
    await sampler.sample_all()  # nothing new: nothing added
    room.talk_frames[HOST] = 80
    await rooms.close(space.id)
    again = rooms.open(space)
    again.talk_frames[HOST] = 10
    await sampler.sample_all()
    talk = (await stats.view(space.id, Actor(HOST), 7)).chart.talk_seconds
    assert talk == {HOST: (80 + 10) * FRAME_MS / 1000}
