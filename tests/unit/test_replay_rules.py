"""How long a replay is kept, and whose it is to delete (the retention sweep and /privacy delete use both)."""

from __future__ import annotations

from datetime import timedelta

from spaces_core.domain import recording
from tests.unit.builders import COHOST, HOST, NOW, live_space, member

KEEP = timedelta(days=30)


def test_a_replay_expires_the_retention_after_its_space_ended() -> None:
    space = live_space()
    recording.set_recording(space, HOST, True)
    assert not recording.replay_expired(space, NOW + KEEP * 2, KEEP)  # live: nothing to expire yet
    space.end(HOST, NOW, "host_ended")
    assert not recording.replay_expired(space, NOW + KEEP - timedelta(seconds=1), KEEP)
    assert recording.replay_expired(space, NOW + KEEP, KEEP)
    recording.delete_replay(space, HOST)
    assert not recording.replay_expired(space, NOW + KEEP, KEEP)  # already gone


def test_a_space_never_recorded_has_no_replay_to_expire() -> None:
    space = live_space()
    space.end(HOST, NOW, "host_ended")
    assert not recording.replay_expired(space, NOW + KEEP * 2, KEEP)


def test_the_replay_is_the_hosts_and_the_openers_only() -> None:
    space = live_space(cohost=True)
    assert recording.may_delete_replay(space, HOST.user_id)
    assert not recording.may_delete_replay(space, COHOST.user_id)
    assert not recording.may_delete_replay(space, member(10).user_id)
