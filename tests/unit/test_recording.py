"""Recording rules (who turns it on, opt-outs, the replay after the end) and the SpaceService use cases."""

from __future__ import annotations

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain import recording
from spaces_core.domain.errors import Conflict, NotAllowed, NotFound, SpaceNotLive
from spaces_core.domain.roles import Actor
from tests.unit.builders import ADMIN, COHOST, HOST, MOD, NOW, live_space, member
from tests.unit.services_support import GUILD, STAGE, App


def test_the_host_and_a_cohost_turn_recording_on_and_off() -> None:
    space = live_space(cohost=True)
    assert recording.set_recording(space, HOST, True) == [ev.RecordingStarted("s1", HOST.user_id)]
    assert space.recording and space.recorded
    assert recording.set_recording(space, COHOST, False) == [ev.RecordingStopped("s1", COHOST.user_id)]
    assert not space.recording and space.recorded


@pytest.mark.parametrize("actor", [member(10), MOD, ADMIN])
def test_listeners_moderators_and_admins_may_not_record(actor: Actor) -> None:
    space = live_space(present=(10, 3, 4))
    with pytest.raises(NotAllowed, match="Only the host or a co-host"):
        recording.set_recording(space, actor, True)
    assert not space.recording and not space.recorded


def test_turning_on_twice_or_off_when_off_is_a_conflict() -> None:
    space = live_space()
    with pytest.raises(Conflict, match="isn't being recorded"):
        recording.set_recording(space, HOST, False)
    recording.set_recording(space, HOST, True)
    with pytest.raises(Conflict, match="already being recorded"):
        recording.set_recording(space, HOST, True)


def test_a_member_opts_out_and_back_in() -> None:
    space = live_space()
    assert recording.set_opt_out(space, 10, True) == [ev.RecordingOptOut("s1", 10, True)]
    assert space.recording_opt_outs == {10}
    with pytest.raises(Conflict, match="already left out"):
        recording.set_opt_out(space, 10, True)
    assert recording.set_opt_out(space, 10, False) == [ev.RecordingOptOut("s1", 10, False)]
    assert space.recording_opt_outs == set()
    with pytest.raises(NotAllowed, match="Join the Stage"):
        recording.set_opt_out(space, 99, True)


def test_ending_while_recording_stops_it_and_leaves_a_replay_only_the_host_deletes() -> None:
    space = live_space(cohost=True)
    recording.set_recording(space, HOST, True)
    with pytest.raises(Conflict, match="once the Space has ended"):
        recording.delete_replay(space, HOST)
    events = space.end(HOST, NOW)
    assert isinstance(events[0], ev.RecordingStopped) and events[0].by_id is None
    assert isinstance(events[1], ev.SpaceEnded)
    assert not space.recording and recording.has_replay(space)
    with pytest.raises(SpaceNotLive):
        recording.set_recording(space, HOST, True)
    for someone in (COHOST, MOD, member(10)):
        with pytest.raises(NotAllowed, match="Only the host"):
            recording.delete_replay(space, someone)
    assert recording.delete_replay(space, HOST) == [ev.ReplayDeleted("s1", HOST.user_id)]
    assert not recording.has_replay(space)
    with pytest.raises(NotFound):
        recording.delete_replay(space, HOST)


def test_a_space_never_recorded_has_no_replay() -> None:
    space = live_space()
    space.end(HOST, NOW)
    assert not recording.has_replay(space)
    with pytest.raises(NotFound):
        recording.delete_replay(space, HOST)


async def test_services_record_opt_out_and_give_the_latest_replay_of_the_stage() -> None:
    app = App()
    space = await app.start(present=(10, 11))
    await app.spaces.set_recording(space.id, HOST, True)
    await app.spaces.set_recording_opt_out(space.id, 11, True)
    stored = app.db.spaces[space.id]
    assert stored.recording and stored.recording_opt_outs == {11}
    assert app.publisher.of(ev.RecordingStarted) == [ev.RecordingStarted(space.id, HOST.user_id)]
    with pytest.raises(NotFound, match="no replay"):
        await app.spaces.latest_replay(GUILD, STAGE)  # still live
    with pytest.raises(NotAllowed):
        await app.spaces.set_recording(space.id, Actor(10), False)

    await app.spaces.end_space(space.id, HOST)
    unrecorded = await app.start()  # a later Space on the same Stage, never recorded
    await app.spaces.end_space(unrecorded.id, HOST)
    assert (await app.spaces.latest_replay(GUILD, STAGE)).id == space.id

    await app.spaces.delete_replay(space.id, HOST)
    assert app.publisher.of(ev.ReplayDeleted) == [ev.ReplayDeleted(space.id, HOST.user_id)]
    with pytest.raises(NotFound, match="no replay"):
        await app.spaces.latest_replay(GUILD, STAGE)
