"""Hypothesis drives a live Space with random members doing random things and checks the role invariants.

Targets and actors are drawn half the time from the Space's current state (the queue, the speakers...) so
that long chains such as request → approve → move to audience happen often, not once in a blue moon.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from spaces_core.domain.errors import NotAllowed, SpacesError
from spaces_core.domain.events import DomainEvent
from spaces_core.domain.roles import MIN_ROLE, Action, Actor, Role
from spaces_core.domain.space import Space

# A small cast so that actions often hit someone present; 5 is a server moderator, 6 an admin.
USERS = st.integers(min_value=1, max_value=6)
MODERATOR_ID, ADMIN_ID = 5, 6
GRACE = timedelta(seconds=60)

Pool = Callable[[Space], Iterable[int]]
Call = Callable[[Space, Actor, int], list[DomainEvent]]
# name: (permission, where interesting targets are, the domain call)
MODERATION: dict[str, tuple[Action, Pool, Call]] = {
    "approve": (Action.APPROVE_REQUEST, lambda s: s.queue, Space.approve_request),
    "deny": (Action.DENY_REQUEST, lambda s: s.queue, Space.deny_request),
    "invite": (Action.INVITE, lambda s: s.present, Space.invite),
    "move": (Action.MOVE_TO_AUDIENCE, lambda s: s.speakers, Space.move_to_audience),
    "mute": (Action.MUTE, lambda s: [*s.speakers, *s.cohosts], Space.mute),
    "unmute": (Action.MUTE, lambda s: s.muted, Space.unmute),
    "remove": (Action.REMOVE, lambda s: s.present, Space.remove),
    "block": (Action.BLOCK, lambda s: s.present, Space.block),
    "add_cohost": (Action.ADD_COHOST, lambda s: s.present, Space.add_cohost),
    "remove_cohost": (Action.REMOVE_COHOST, lambda s: s.cohosts, Space.remove_cohost),
}


def actor(user_id: int) -> Actor:
    return Actor(user_id, is_moderator=user_id == MODERATOR_ID, is_admin=user_id == ADMIN_ID)


class SpaceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2025, 1, 1, tzinfo=UTC)
        self.space, _ = Space.open(
            space_id="s", guild_id=1, channel_id=2, host_id=1, title="t", topics=(), now=self.now, speaker_limit=2
        )
        for user_id in range(2, 7):
            self.space.join(user_id, self.now)

    @initialize(cohosts=st.integers(min_value=0, max_value=2))
    def appoint_first_cohosts(self, cohosts: int) -> None:
        """Start some runs with co-hosts already in place, so succession between two of them is common."""
        for user_id in range(2, 2 + cohosts):
            self.space.add_cohost(actor(1), user_id)

    def pick(self, data: st.DataObject, pool: Iterable[int]) -> int:
        candidates = sorted(pool)
        if candidates and data.draw(st.booleans()):
            return data.draw(st.sampled_from(candidates))
        return data.draw(USERS)

    def attempt(self, call: Callable[[], list[DomainEvent]]) -> None:
        """Run one member call; a refused call must leave the Space exactly as it was."""
        before = copy.deepcopy(self.space)
        try:
            call()
        except SpacesError:
            assert self.space == before, "a refused action changed the Space"

    # Presence and time
    @rule(data=st.data())
    def join(self, data: st.DataObject) -> None:
        user = self.pick(data, self.space.removed)  # removed members trying to come back, often
        self.attempt(lambda: self.space.join(user, self.now))

    @rule(user=USERS, dice=st.integers(min_value=0, max_value=2))
    def leave(self, user: int, dice: int) -> None:
        if dice:  # leaving undoes most progress; one draw in three keeps the stage busy
            return
        self.attempt(lambda: self.space.leave(user, self.now, grace=GRACE))

    @rule(seconds=st.integers(min_value=1, max_value=90))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        self.tick()

    # Members acting for themselves
    @rule(data=st.data(), name=st.sampled_from(["request", "cancel", "accept", "decline"]))
    def member_acts(self, data: st.DataObject, name: str) -> None:
        space = self.space
        calls = {
            "request": (space.present, space.request_to_speak),
            "cancel": (space.queue, space.cancel_request),
            "accept": (space.invites, space.accept_invite),
            "decline": (space.invites, space.decline_invite),
        }
        pool, call = calls[name]
        user = self.pick(data, pool)
        self.attempt(lambda: call(user))

    # Moderation, attempted by anyone on anyone
    @rule(data=st.data(), name=st.sampled_from(sorted(MODERATION)))
    def moderate(self, data: st.DataObject, name: str) -> None:
        if name in ("remove", "block") and data.draw(st.integers(0, 3)):
            return  # removals are for good; keep them rare so the cast doesn't empty out
        self.moderate_one(data, name, None)

    # The two paths to the stage as two-step chains, so full stages are common.
    @rule(data=st.data())
    def raise_hand_and_answer(self, data: st.DataObject) -> None:
        user = self.pick(data, self.space.present)
        self.attempt(lambda: self.space.request_to_speak(user))
        self.moderate_one(data, data.draw(st.sampled_from(["approve", "approve", "deny"])), user)

    @rule(data=st.data())
    def invite_and_answer(self, data: st.DataObject) -> None:
        user = self.pick(data, self.space.present)
        self.moderate_one(data, "invite", user)
        answer = data.draw(st.sampled_from([self.space.accept_invite, self.space.decline_invite]))
        self.attempt(lambda: answer(user))

    @rule(data=st.data())
    def appoint_cohost(self, data: st.DataObject) -> None:
        self.moderate_one(data, "add_cohost", None)

    @rule(seconds=st.integers(min_value=0, max_value=120))
    def host_steps_away(self, seconds: int) -> None:
        self.attempt(lambda: self.space.leave(self.space.host_id, self.now, grace=GRACE))
        self.now += timedelta(seconds=seconds)
        self.tick()

    def moderate_one(self, data: st.DataObject, name: str, target: int | None) -> None:
        action, pool, call = MODERATION[name]
        space = self.space
        user = self.pick(data, [space.host_id, *space.cohosts, MODERATOR_ID, ADMIN_ID])
        target = self.pick(data, pool(space)) if target is None else target
        self.check_guarded(action, user, target, lambda u, t: call(space, actor(u), t))

    def check_guarded(self, action: Action, user: int, target: int, call: Callable[[int, int], object]) -> None:
        """Anyone below the table's role is refused with NotAllowed, changes nothing, and nobody outranks up."""
        before = copy.deepcopy(self.space)
        mine = before.role_of(actor(user))
        self_service = user == target and (
            (action is Action.MOVE_TO_AUDIENCE and target in before.speakers)
            or (action is Action.REMOVE_COHOST and target in before.cohosts)
        )
        entitled = mine >= MIN_ROLE[action] or self_service
        refusal: SpacesError | None = None
        try:
            call(user, target)
        except SpacesError as error:
            refusal = error
        if refusal is not None:
            assert self.space == before, "a refused action changed the Space"
            if before.is_live and not entitled:
                assert isinstance(refusal, NotAllowed), f"{action} by an unentitled member: {refusal!r}"
            return
        assert entitled, f"{action} by role {mine!r} was accepted"
        if target != user and before.role_of(target) >= Role.COHOST:
            assert mine > before.role_of(target), "acted on someone who outranks them"

    # Ending is rare (one draw in ten) so that most runs stay live long enough to be interesting.
    @precondition(lambda self: self.space.is_live)
    @rule(data=st.data(), dice=st.integers(min_value=0, max_value=9))
    def end(self, data: st.DataObject, dice: int) -> None:
        if dice:
            return
        user = self.pick(data, [self.space.host_id])
        self.check_guarded(Action.END, user, user, lambda u, _: self.space.end(actor(u), self.now))

    def tick(self) -> None:
        """Succession as the bot's ticker runs it: whenever time moves and the grace is over."""
        if not self.space.due_succession(self.now, GRACE):
            return
        cohosts_before, host_before = list(self.space.cohosts), self.space.host_id
        self.space.succeed(self.now)
        if cohosts_before:
            assert self.space.host_id == cohosts_before[0], "succession skipped the first co-host"
            assert self.space.cohosts == cohosts_before[1:]
        else:
            assert not self.space.is_live and self.space.host_id == host_before

    @invariant()
    def roles_are_consistent(self) -> None:
        space = self.space
        if not space.is_live:
            return
        on_stage = {space.host_id, *space.cohosts, *space.speakers}
        assert space.host_id not in space.cohosts and space.host_id not in space.speakers
        assert len(space.cohosts) == len(set(space.cohosts)) <= 2
        assert len(space.speakers) == len(set(space.speakers)) <= space.speaker_limit
        assert not set(space.cohosts) & set(space.speakers)
        assert {*space.cohosts, *space.speakers, *space.queue, *space.invites} <= space.present
        assert not set(space.queue) & on_stage and not space.invites & on_stage
        assert space.muted <= on_stage
        assert (space.host_absent_since is None) == (space.host_id in space.present)
        assert space.peak_listeners >= space.listener_count

    @invariant()
    def removed_members_never_speak(self) -> None:
        space = self.space
        reachable = {space.host_id, *space.cohosts, *space.speakers, *space.queue, *space.invites, *space.present}
        assert not space.removed & reachable


SpaceMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
TestSpaceStateful = SpaceMachine.TestCase
