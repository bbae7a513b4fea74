"""Request to speak, approve/deny, invitations, stepping down."""

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain import extras
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, SpaceFull, SpaceNotLive
from spaces_core.domain.roles import Role
from tests.unit.builders import HOST, MOD, NOW, live_space, member


def test_request_queues_in_order_and_reports_position() -> None:
    space = live_space()
    assert space.request_to_speak(10) == [ev.HandRaised("s1", 10, 1)]
    assert space.request_to_speak(11) == [ev.HandRaised("s1", 11, 2)]
    assert space.queue == [10, 11]


def test_duplicate_request_is_a_conflict_with_a_member_sentence() -> None:
    space = live_space()
    space.request_to_speak(10)
    with pytest.raises(Conflict) as info:
        space.request_to_speak(10)
    assert info.value.message == "You already asked to speak."


def test_request_needs_presence() -> None:
    with pytest.raises(NotAllowed, match="Join the Stage first"):
        live_space().request_to_speak(99)


def test_request_by_someone_on_stage_is_a_conflict() -> None:
    space = live_space()
    with pytest.raises(Conflict, match="already on stage"):
        space.request_to_speak(HOST.user_id)


def test_removed_member_cannot_request() -> None:
    space = live_space()
    space.remove(HOST, 10)
    with pytest.raises(NotAllowed, match="removed from this Space"):
        space.request_to_speak(10)


def test_cancel_request() -> None:
    space = live_space()
    space.request_to_speak(10)
    assert space.cancel_request(10) == [ev.HandLowered("s1", 10, "cancelled")]
    assert space.queue == []
    with pytest.raises(NotFound, match="You haven't asked to speak"):
        space.cancel_request(10)


def test_approve_moves_from_queue_to_speakers_and_updates_counts() -> None:
    space = live_space()
    space.request_to_speak(10)
    events = space.approve_request(MOD, 10)
    assert events == [
        ev.HandLowered("s1", 10, "approved"),
        ev.SpeakerAdded("s1", 10, "request"),
        ev.CountsChanged("s1", 2, 3),
    ]
    assert space.speakers == [10]
    assert space.role_of(10) is Role.SPEAKER
    assert 10 in space.spoke


def test_listener_cannot_approve_and_nothing_changes() -> None:
    space = live_space()
    space.request_to_speak(10)
    with pytest.raises(NotAllowed) as info:
        space.approve_request(member(11), 10)
    assert info.value.message == "Only the host, a co-host or a moderator can approve requests to speak."
    assert space.queue == [10]
    assert space.speakers == []


def test_approve_unknown_request_is_not_found() -> None:
    with pytest.raises(NotFound, match="isn't asking to speak"):
        live_space().approve_request(HOST, 10)


def test_approve_when_stage_is_full() -> None:
    space = live_space(speaker_limit=1)
    space.request_to_speak(10)
    space.request_to_speak(11)
    space.approve_request(HOST, 10)
    with pytest.raises(SpaceFull, match=r"The stage is full \(1 speakers\)"):
        space.approve_request(HOST, 11)
    assert space.queue == [11]


def test_speaker_limit_does_not_count_host_and_cohosts() -> None:
    space = live_space(speaker_limit=1, cohost=True)
    space.request_to_speak(10)
    space.approve_request(HOST, 10)
    assert space.speakers == [10]


def test_deny() -> None:
    space = live_space()
    space.request_to_speak(10)
    assert space.deny_request(HOST, 10) == [ev.HandLowered("s1", 10, "denied")]
    with pytest.raises(NotFound):
        space.deny_request(HOST, 10)
    space.request_to_speak(10)
    with pytest.raises(NotAllowed, match="decline requests"):
        space.deny_request(member(11), 10)


def test_invite_then_accept() -> None:
    space = live_space()
    space.request_to_speak(10)
    assert space.invite(HOST, 10) == [ev.SpeakerInvited("s1", 10, HOST.user_id)]
    events = space.accept_invite(10)
    assert ev.SpeakerAdded("s1", 10, "invite") in events
    assert ev.HandLowered("s1", 10, "approved") in events
    assert space.queue == [] and space.invites == set()


def test_invite_errors() -> None:
    space = live_space()
    with pytest.raises(NotAllowed, match="invite members"):
        space.invite(member(11), 10)
    with pytest.raises(NotFound, match="isn't in the Stage"):
        space.invite(HOST, 99)
    space.invite(HOST, 10)
    with pytest.raises(Conflict, match="already has an invitation"):
        space.invite(HOST, 10)
    space.accept_invite(10)
    with pytest.raises(Conflict, match="already on stage"):
        space.invite(HOST, 10)


def test_accept_without_invitation_and_when_full() -> None:
    space = live_space(speaker_limit=1)
    with pytest.raises(NotFound, match="don't have an invitation"):
        space.accept_invite(10)
    space.invite(HOST, 10)
    space.invite(HOST, 11)
    space.accept_invite(10)
    with pytest.raises(SpaceFull, match="filled up"):
        space.accept_invite(11)
    assert space.invites == {11}


def test_decline_invite() -> None:
    space = live_space()
    space.invite(HOST, 10)
    assert space.decline_invite(10) == [ev.InviteDeclined("s1", 10)]
    with pytest.raises(NotFound):
        space.decline_invite(10)


def test_move_to_audience_by_moderator_and_by_self() -> None:
    space = live_space()
    for user in (10, 11):
        space.invite(HOST, user)
        space.accept_invite(user)
    space.mute(HOST, 10)
    assert ev.MovedToAudience("s1", 10, MOD.user_id) in space.move_to_audience(MOD, 10)
    assert 10 not in space.muted
    space.move_to_audience(member(11), 11)  # stepping down on your own is always fine
    assert space.speakers == []


def test_move_to_audience_errors() -> None:
    space = live_space(cohost=True)
    space.invite(HOST, 10)
    space.accept_invite(10)
    with pytest.raises(NotAllowed, match="move speakers"):
        space.move_to_audience(member(11), 10)
    with pytest.raises(NotFound, match="isn't a speaker"):
        space.move_to_audience(HOST, 11)
    with pytest.raises(InvalidInput, match="Remove co-host"):
        space.move_to_audience(HOST, 2)


def test_everything_but_presence_needs_a_live_space() -> None:
    space = live_space()
    space.end(HOST, NOW, "host_ended")
    assert space.join(50, NOW) == []
    assert space.leave(10, NOW) == []
    for attempt in (
        lambda: space.request_to_speak(10),
        lambda: space.cancel_request(10),
        lambda: space.approve_request(HOST, 10),
        lambda: space.accept_invite(10),
        lambda: space.decline_invite(10),
        lambda: extras.react(space, 10, "🔥"),
        lambda: space.end(HOST, NOW),
    ):
        with pytest.raises(SpaceNotLive, match="This Space has ended"):
            attempt()
