"""Transcripts follow the replays' retention and /privacy, on SQLite and PostgreSQL: a transcript goes with its
replay (deleted by the host or swept for age), a never-recorded Space's is kept as long as a replay would be, and a
member's phrases leave every transcript when they delete their data. Which Spaces have a transcript, newest first;
the latest Space on a Stage; search hits of past Spaces only, with their Space.

Real pieces: the store, migrated as the bot does it, the services, the replay files and their sweep (real Ogg
parts by the recorder). The clock is the one thing moved by hand.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.audio.replays import ReplayFiles, ReplayRetention
from spaces_core.domain.roles import Actor
from spaces_core.domain.transcripts import Phrase
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.transcripts import TranscriptService
from tests.audio.test_audio_recorder import record_tone
from tests.fakes import FakeClock, FakePublisher

GUILD, OTHER_GUILD, KEEP = 700, 800, timedelta(days=30)
HANA, LEE = 1, 2


def said(space_id: str, speaker: int, seconds: float, text: str) -> Phrase:
    start = timedelta(seconds=seconds)
    return Phrase(space_id, speaker, start, start + timedelta(seconds=1), text, "en")


async def opened(spaces: SpaceService, stage: int, *, record: bool = False, guild: int = GUILD) -> str:
    """A live Space on Stage `stage`, hosted by a member of its own (one live Space a host)."""
    host = Actor(100 + stage)
    space = await spaces.start_space(guild_id=guild, channel_id=stage, actor=host, title=f"Jam {stage}", topics="")
    if record:
        await spaces.set_recording(space.id, host, True)
    return space.id


async def end(spaces: SpaceService, space_id: str) -> None:
    space = await spaces.get(space_id)
    await spaces.end_space(space_id, Actor(space.host_id))


async def test_transcripts_go_with_their_replay_and_after_the_retention_recorded_or_not(
    uows: UnitOfWorkFactory, tmp_path: Path
) -> None:
    clock = FakeClock()
    spaces, transcripts = SpaceService(uows, clock, FakePublisher()), TranscriptService(uows)
    files = ReplayFiles(tmp_path / "rec")
    retention = ReplayRetention(spaces, files, KEEP, clock=clock, expire_transcripts=transcripts.delete_ended_before)
    host_deleted, old_recorded, old_unrecorded = [await opened(spaces, s, record=s < 3) for s in (1, 2, 3)]
    for space_id in (host_deleted, old_recorded, old_unrecorded):
        await transcripts.add([said(space_id, LEE, 1, "an old phrase")])
        await end(spaces, space_id)
    await record_tone(files.path_of(old_recorded), 440, 10)
    await record_tone(files.path_of(host_deleted), 440, 10)

    await spaces.delete_replay(
        host_deleted, Actor((await spaces.get(host_deleted)).host_id)
    )  # /space replay delete: the transcript goes at once
    assert await transcripts.of_space(host_deleted) == []
    assert await transcripts.of_space(old_recorded) != []

    clock.advance(KEEP.total_seconds() - 60)
    recent = await opened(spaces, 4)  # not recorded, ended a minute before the others expire
    await transcripts.add([said(recent, LEE, 1, "a recent phrase")])
    await end(spaces, recent)
    live = await opened(spaces, 5)  # live all along: never swept
    await transcripts.add([said(live, LEE, 1, "a live phrase")])
    await retention.sweep()
    assert await transcripts.of_space(old_recorded) != []  # 30 days less a minute: kept

    clock.advance(120)
    assert await retention.sweep() == [old_recorded]
    assert await transcripts.of_space(old_recorded) == []  # swept with its replay
    assert await transcripts.of_space(old_unrecorded) == []  # never recorded: kept just as long
    assert [p.text for p in await transcripts.of_space(recent)] == ["a recent phrase"]
    assert [p.text for p in await transcripts.of_space(live)] == ["a live phrase"]
    assert await transcripts.delete_ended_before(clock.now()) == 1  # how many phrases went: the recent one
    assert [p.text for p in await transcripts.of_space(live)] == ["a live phrase"]


async def test_privacy_delete_takes_a_members_phrases_out_of_every_transcript(uows: UnitOfWorkFactory) -> None:
    spaces, transcripts = SpaceService(uows, FakeClock(), FakePublisher()), TranscriptService(uows)
    first, second = await opened(spaces, 1), await opened(spaces, 2)
    await transcripts.add([said(first, LEE, 1, "lee speaks"), said(first, HANA, 2, "hana answers")])
    await transcripts.add([said(second, LEE, 1, "lee again")])
    await SettingsService(uows).delete_member_data(LEE)
    assert [p.text for p in await transcripts.of_space(first)] == ["hana answers"]
    assert await transcripts.of_space(second) == []
    await end(spaces, first)
    assert [f.hit.text for f in await transcripts.search(GUILD, "lee")] == []


async def test_which_spaces_have_a_transcript_the_latest_on_a_stage_and_past_hits(uows: UnitOfWorkFactory) -> None:
    clock = FakeClock()
    spaces, transcripts = SpaceService(uows, clock, FakePublisher()), TranscriptService(uows)
    older = await opened(spaces, 1)
    await transcripts.add([said(older, LEE, 1, "drum machine talk")])
    await end(spaces, older)
    clock.advance(60)
    silent = await opened(spaces, 1)  # the latest on Stage 1, with no transcript
    await end(spaces, silent)
    clock.advance(60)
    newer = await opened(spaces, 2)
    await transcripts.add([said(newer, LEE, 1, "more drum talk")])  # still live: not a past Space yet
    elsewhere = await opened(spaces, 3, guild=OTHER_GUILD)
    await transcripts.add([said(elsewhere, LEE, 1, "drum elsewhere")])

    assert [s.id for s in await transcripts.transcribed(GUILD)] == [newer, older]
    assert (await transcripts.space_for(GUILD, 1, None)).id == silent
    assert (await transcripts.space_for(GUILD, 2, "")).id == newer  # the live one
    assert (await transcripts.space_for(GUILD, 9, older)).id == older  # picked by id
    assert (await transcripts.space_for(GUILD, 9, "jam 2")).id == newer  # typed: the start of a title
    assert [(f.space.id, f.hit.text) for f in await transcripts.search(GUILD, "drum")] == [(older, "drum machine talk")]
    await end(spaces, newer)
    assert [f.space.id for f in await transcripts.search(GUILD, "drum")] == [newer, older]
