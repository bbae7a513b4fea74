"""Mute, remove, block, co-hosts and the outranking rules."""

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain import extras
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, SpaceFull
from spaces_core.domain.roles import MIN_ROLE, Action, Actor, Role, require
from spaces_core.domain.space import Space
from tests.unit.builders import ADMIN, COHOST, HOST, MOD, NOW, live_space, member


def on_stage(user_id: int) -> Space:
    space = live_space(cohost=True)
    space.invite(HOST, user_id)
    space.accept_invite(user_id)
    return space


def test_permission_table_matches_the_spec() -> None:
    moderator = {Action.APPROVE_REQUEST, Action.DENY_REQUEST, Action.INVITE}
    moderator |= {Action.MOVE_TO_AUDIENCE, Action.MUTE, Action.REMOVE}
    assert {a for a, r in MIN_ROLE.items() if r is Role.MODERATOR} == moderator
    assert {a for a, r in MIN_ROLE.items() if r is Role.COHOST} == {Action.PIN_LINK, Action.UNPIN_LINK}
    host_only = {Action.ADD_COHOST, Action.REMOVE_COHOST, Action.BLOCK, Action.END}
    assert {a for a, r in MIN_ROLE.items() if r is Role.HOST} == host_only


def test_roles() -> None:
    space = on_stage(10)
    assert space.role_of(HOST) is Role.HOST
    assert space.role_of(COHOST.user_id) is Role.COHOST
    assert space.role_of(MOD) is Role.MODERATOR
    assert space.role_of(11, is_moderator=True) is Role.MODERATOR
    assert space.role_of(ADMIN) is Role.MODERATOR
    assert space.role_of(10) is Role.SPEAKER
    assert space.role_of(11) is Role.LISTENER
    assert space.role_of(Actor(HOST.user_id, is_admin=True)) is Role.HOST


def test_admin_moderates_but_is_never_host() -> None:
    space = on_stage(10)
    require(space, ADMIN, Action.MUTE, 10)
    with pytest.raises(NotAllowed, match="Only the host can end this Space"):
        require(space, ADMIN, Action.END)
    with pytest.raises(NotAllowed, match="Only the host or a co-host can pin links"):
        extras.pin_link(space, ADMIN, "https://example.com")


def test_moderators_cannot_act_on_host_or_cohosts() -> None:
    space = live_space(cohost=True)
    with pytest.raises(NotAllowed, match="Moderators can't act on the host or co-hosts"):
        space.remove(MOD, COHOST.user_id)
    with pytest.raises(NotAllowed, match="Moderators can't act on the host or co-hosts"):
        space.mute(MOD, HOST.user_id)
    assert space.cohosts == [COHOST.user_id]


def test_cohosts_cannot_act_on_the_host_or_each_other() -> None:
    space = live_space(cohost=True)
    space.add_cohost(HOST, 10)
    with pytest.raises(NotAllowed, match="Co-hosts can't act on the host"):
        space.remove(COHOST, HOST.user_id)
    with pytest.raises(NotAllowed, match="each other"):
        space.mute(COHOST, 10)


def test_mute_and_unmute() -> None:
    space = on_stage(10)
    assert space.mute(COHOST, 10) == [ev.MemberMuted("s1", 10, COHOST.user_id)]
    with pytest.raises(Conflict, match="already muted"):
        space.mute(HOST, 10)
    with pytest.raises(NotAllowed, match="mute or unmute"):
        space.unmute(member(10), 10)  # a moderator's mute sticks, like a Discord server mute
    assert space.unmute(MOD, 10) == [ev.MemberUnmuted("s1", 10, MOD.user_id)]
    with pytest.raises(NotFound, match="isn't muted"):
        space.unmute(MOD, 10)
    with pytest.raises(NotFound, match="isn't on stage"):
        space.mute(HOST, 11)


def test_remove_drops_every_role_and_bars_rejoining() -> None:
    space = on_stage(10)
    space.request_to_speak(11)
    space.mute(HOST, 10)
    events = space.remove(MOD, 10)
    assert ev.MemberRemoved("s1", 10, False, MOD.user_id) in events
    assert 10 not in space.speakers and 10 not in space.present and 10 not in space.muted
    assert 10 in space.removed
    space.remove(HOST, 11)
    assert space.queue == []
    with pytest.raises(NotAllowed) as info:
        space.join(10, NOW)
    assert info.value.message == "You were removed from this Space by the host."
    with pytest.raises(Conflict, match="already removed"):
        space.remove(HOST, 10)


def test_remove_errors() -> None:
    space = live_space()
    with pytest.raises(NotAllowed, match="remove members"):
        space.remove(member(10), 11)
    with pytest.raises(InvalidInput, match="can't remove yourself"):
        space.remove(MOD, MOD.user_id)


def test_block_is_host_only_and_marks_blocked() -> None:
    space = live_space(cohost=True)
    with pytest.raises(NotAllowed, match="Only the host can block members"):
        space.block(COHOST, 10)
    assert ev.MemberRemoved("s1", 10, True, HOST.user_id) in space.block(HOST, 10)
    assert 10 in space.removed
    space.block(HOST, 10)  # blocking someone already removed still records the block


def test_add_cohost_takes_a_speaker_off_the_speaker_count() -> None:
    space = on_stage(10)
    space.request_to_speak(11)
    assert space.add_cohost(HOST, 10) == [ev.CohostAdded("s1", 10)]
    assert space.speakers == [] and space.cohosts == [COHOST.user_id, 10]
    with pytest.raises(SpaceFull, match="at most 2 co-hosts"):
        space.add_cohost(HOST, 11)
    assert space.queue == [11]


def test_add_cohost_errors() -> None:
    space = live_space(cohost=True)
    with pytest.raises(NotAllowed, match="Only the host can add co-hosts"):
        space.add_cohost(COHOST, 10)
    with pytest.raises(InvalidInput, match="already the host"):
        space.add_cohost(HOST, HOST.user_id)
    with pytest.raises(Conflict, match="already a co-host"):
        space.add_cohost(HOST, COHOST.user_id)
    with pytest.raises(NotFound, match="isn't in the Stage"):
        space.add_cohost(HOST, 99)


def test_add_cohost_from_the_queue_lowers_the_hand() -> None:
    space = live_space()
    space.request_to_speak(10)
    assert ev.HandLowered("s1", 10, "approved") in space.add_cohost(HOST, 10)


def test_remove_cohost_keeps_them_speaking_when_there_is_room() -> None:
    space = live_space(cohost=True)
    events = space.remove_cohost(HOST, COHOST.user_id)
    assert events == [ev.CohostRemoved("s1", 2), ev.SpeakerAdded("s1", 2, "cohost")]
    assert space.speakers == [COHOST.user_id]


def test_remove_cohost_to_the_audience_when_the_stage_is_full() -> None:
    space = live_space(cohost=True, speaker_limit=0)
    space.mute(HOST, COHOST.user_id)
    space.remove_cohost(COHOST, COHOST.user_id)  # co-hosts may step down themselves
    assert space.role_of(COHOST.user_id) is Role.LISTENER
    assert space.muted == set()


def test_remove_cohost_errors() -> None:
    space = live_space(cohost=True)
    with pytest.raises(NotAllowed, match="Only the host can remove co-hosts"):
        space.remove_cohost(MOD, COHOST.user_id)
    with pytest.raises(NotFound, match="isn't a co-host"):
        space.remove_cohost(HOST, 10)
