"""Replays kept for the retention, then swept (file and record); `/privacy delete` takes a host's replays.

Real pieces: the store on SQLite, migrated as the bot does it; SpaceService; real Ogg/Opus parts written by the
recorder. The clock is the one thing moved by hand.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.audio.replays import ReplayFiles, ReplayRetention, delete_replays_hosted_by
from spaces_core.domain.errors import NotFound
from spaces_core.domain.events import ReplayDeleted
from spaces_core.domain.roles import Actor
from spaces_core.services.spaces import SpaceService
from spaces_core.store.database import create_engine, make_uow_factory, migrate
from tests.audio.test_audio_recorder import read, record_tone
from tests.fakes import FakeClock, FakePublisher

GUILD, KEEP = 700, timedelta(days=30)
HANA, COLE = 1, 2


@dataclass
class World:
    spaces: SpaceService
    files: ReplayFiles
    clock: FakeClock
    published: FakePublisher


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'spaces.db'}"
    await migrate(url)
    engine = create_engine(url)
    clock, published = FakeClock(), FakePublisher()
    yield World(
        SpaceService(make_uow_factory(engine), clock, published), ReplayFiles(tmp_path / "rec"), clock, published
    )
    await engine.dispose()


async def recorded(spaces: SpaceService, host: int, stage: int, *, end: bool = True) -> str:
    space = await spaces.start_space(guild_id=GUILD, channel_id=stage, actor=Actor(host), title="Jam", topics="x")
    await spaces.set_recording(space.id, Actor(host), True)
    if end:
        await spaces.end_space(space.id, Actor(host))
    return space.id


async def test_a_replay_is_kept_for_the_retention_then_its_file_and_record_are_swept(world: World) -> None:
    spaces, files, clock = world.spaces, world.files, world.clock
    ended = await recorded(spaces, HANA, 10)  # ended during a restart: two parts, never joined
    await record_tone(files.next_part(ended), 440, 50)
    await record_tone(files.next_part(ended), 660, 50)
    deleted = await recorded(spaces, COLE, 11)  # deleted by its host, but the file outlived the deletion
    await record_tone(files.path_of(deleted), 440, 10)
    await spaces.delete_replay(deleted, Actor(COLE))
    live = await recorded(spaces, HANA, 12, end=False)
    await record_tone(files.next_part(live), 440, 10)
    orphans = [files.path_of("f" * 32), files.path_of("e" * 32)]  # no Space in the database owns them
    for orphan in orphans:
        orphan.write_bytes(b"OggS")
    old = (clock.current - KEEP - timedelta(hours=1)).timestamp()
    os.utime(orphans[0], (old, old))
    retention = ReplayRetention(spaces, files, KEEP, clock=clock)

    clock.advance((KEEP - timedelta(minutes=1)).total_seconds())
    assert await retention.sweep() == []
    assert files.parts(ended) == [] and len(read(files.path_of(ended))) > 1.9 * 48_000  # joined, kept
    assert files.space_ids() == {ended, live, "e" * 32}
    assert await spaces.latest_replay(GUILD, 10)

    clock.advance(60)
    assert await retention.sweep() == [ended]
    assert files.space_ids() == {live, "e" * 32} and files.parts(live)
    assert (await spaces.get(ended)).replay_deleted
    with pytest.raises(NotFound, match="no replay"):
        await spaces.latest_replay(GUILD, 10)
    assert ReplayDeleted(ended, HANA) in world.published.events
    assert retention.interval == 3600  # a quarter of 30 days, at most an hour


async def test_privacy_delete_takes_the_replays_of_the_spaces_the_member_hosted(world: World) -> None:
    spaces, files = world.spaces, world.files
    hana_ended, cole_ended = await recorded(spaces, HANA, 10), await recorded(spaces, COLE, 11)
    hana_live = await recorded(spaces, HANA, 12, end=False)
    for space_id in (hana_ended, cole_ended):
        await record_tone(files.path_of(space_id), 440, 10)
    await record_tone(files.next_part(hana_live), 440, 10)

    assert await delete_replays_hosted_by(spaces, files, HANA) == 1
    assert files.existing(hana_ended) is None and (await spaces.get(hana_ended)).replay_deleted
    assert files.existing(cole_ended) is not None and not (await spaces.get(cole_ended)).replay_deleted
    assert files.parts(hana_live)  # still live: it has no replay yet
    assert await delete_replays_hosted_by(spaces, files, 999) == 0
    assert await delete_replays_hosted_by(spaces, None, COLE) == 0  # a bot that records nothing


async def test_a_replay_written_whole_before_a_restart_becomes_the_first_part(tmp_path: Path) -> None:
    files = ReplayFiles(tmp_path / "rec")
    space_id = "ab" * 16
    await record_tone(files.path_of(space_id), 440, 50)  # by a bot from before parts, still live at the restart
    second = files.next_part(space_id)
    assert second.name == f"{space_id}-part1.ogg" and files.existing(space_id) is None
    await record_tone(second, 660, 50)
    replay = await files.finish(space_id)
    assert replay is not None and files.parts(space_id) == []
    samples = read(replay)
    assert 1.9 * 48_000 < len(samples) < 2.1 * 48_000  # both, once each

    joined = replay.read_bytes()
    leftover = replay.with_name(f"{space_id}-part2.ogg")  # a crash after the join's rename, before the clean-up
    await record_tone(leftover, 660, 50)
    assert await files.finish(space_id) == replay and replay.read_bytes() == joined and not leftover.exists()
