"""Joining, leaving, the host's grace period, succession and the end of a Space."""

from datetime import timedelta

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain import extras
from spaces_core.domain.errors import NotAllowed, SpaceNotLive
from spaces_core.domain.space import SpaceState, SpaceSummary
from tests.unit.builders import COHOST, HOST, NOW, later, live_space

GRACE = timedelta(seconds=60)


def test_join_counts_listeners_and_peak() -> None:
    space = live_space(present=())
    assert space.join(10, NOW) == [ev.MemberJoined("s1", 10), ev.CountsChanged("s1", 1, 1)]
    assert space.join(10, NOW) == []
    space.join(11, NOW)
    space.leave(11, NOW)
    assert (space.listener_count, space.peak_listeners) == (1, 2)


def test_a_speaker_who_leaves_loses_the_role_and_queue_entries_go() -> None:
    space = live_space()
    space.invite(HOST, 10)
    space.accept_invite(10)
    space.request_to_speak(11)
    space.invite(HOST, 12)
    space.leave(10, NOW)
    assert ev.HandLowered("s1", 11, "left") in space.leave(11, NOW)
    space.leave(12, NOW)
    assert (space.speakers, space.queue, space.invites) == ([], [], set())
    assert space.leave(99, NOW) == []


def test_a_cohost_who_leaves_loses_the_role() -> None:
    space = live_space(cohost=True)
    assert ev.CohostRemoved("s1", COHOST.user_id) in space.leave(COHOST.user_id, NOW)
    assert space.cohosts == []


def test_host_leaving_starts_the_grace_and_returning_ends_it() -> None:
    space = live_space()
    assert space.leave(HOST.user_id, NOW, grace=GRACE) == [
        ev.MemberLeft("s1", 1),
        ev.HostLeft("s1", 1, NOW + GRACE),
    ]
    assert space.leave(HOST.user_id, later(5)) == []
    assert not space.due_succession(later(59), GRACE)
    assert space.join(HOST.user_id, later(30)) == [ev.MemberJoined("s1", 1), ev.HostReturned("s1", 1)]
    assert space.host_absent_since is None
    assert space.host_returned(HOST.user_id, later(31)) == []


def test_succession_picks_the_first_cohost() -> None:
    space = live_space(cohost=True)
    space.add_cohost(HOST, 10)
    space.leave(HOST.user_id, NOW)
    assert space.due_succession(later(60), GRACE)
    assert space.succeed(later(60)) == [ev.HostChanged("s1", HOST.user_id, COHOST.user_id)]
    assert space.host_id == COHOST.user_id and space.cohosts == [10]
    assert space.original_host_id == HOST.user_id
    assert space.succeed(later(61)) == []  # the new host is here: nothing due
    space.join(HOST.user_id, later(62))
    assert space.role_of(HOST.user_id).name == "LISTENER"


def test_succession_without_cohost_ends_the_space() -> None:
    space = live_space()
    space.invite(HOST, 10)
    space.accept_invite(10)
    extras.react(space, 11, "🔥")
    space.leave(HOST.user_id, NOW)
    [ended] = space.succeed(later(60))
    assert ended == ev.SpaceEnded(
        "s1", SpaceSummary(timedelta(seconds=60), 3, (HOST.user_id, 10), {"🔥": 1}), "host_left"
    )
    assert space.state is SpaceState.ENDED
    assert not space.due_succession(later(600), GRACE)


def test_only_the_host_can_end() -> None:
    space = live_space(cohost=True)
    with pytest.raises(NotAllowed, match="Only the host can end this Space"):
        space.end(COHOST, NOW)
    [ended] = space.end(HOST, later(90))
    assert isinstance(ended, ev.SpaceEnded) and ended.reason == "host_ended"
    assert space.ended_at == later(90)
    with pytest.raises(SpaceNotLive):
        space.end(HOST, later(91))


def test_summary_credits_the_original_host_first_then_order_of_appearance() -> None:
    space = live_space(cohost=True)
    for user in (12, 10):
        space.invite(HOST, user)
        space.accept_invite(user)
    assert space.summary(later(1)).speakers == (HOST.user_id, COHOST.user_id, 12, 10)


def test_scheduled_space_is_not_live() -> None:
    space = live_space()
    space.state = SpaceState.SCHEDULED
    with pytest.raises(SpaceNotLive, match="hasn't started yet"):
        space.request_to_speak(10)
    with pytest.raises(SpaceNotLive):
        space.succeed(NOW)
