"""The Space aggregate: who is on a live Stage, in which role, and every rule that changes that.

Methods return the events they caused and raise typed errors; they never do I/O and never read the clock
(times are passed in). Invariants kept by every method while a Space is live: exactly one host; at most
MAX_COHOSTS co-hosts; at most `speaker_limit` speakers besides host and co-hosts; every co-host, speaker,
queued or invited member is present; removed members are never present nor on stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, SpaceFull, SpaceNotLive
from spaces_core.domain.roles import Action, Actor, Role, require
from spaces_core.domain.rules import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_SPEAKER_LIMIT,
    MAX_COHOSTS,
    MAX_SPEAKER_LIMIT,
)
from spaces_core.domain.validation import clean_title, clean_topics

__all__ = ["Space", "SpaceState", "SpaceSummary"]

SpaceSummary = ev.SpaceSummary
Events = list[ev.DomainEvent]
_DEFAULT_GRACE = timedelta(seconds=DEFAULT_GRACE_SECONDS)
_REMOVED = "You were removed from this Space by the host."


class SpaceState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


@dataclass
class Space:
    id: str
    guild_id: int
    channel_id: int
    host_id: int
    original_host_id: int
    title: str
    topics: tuple[str, ...]
    state: SpaceState
    created_at: datetime
    speaker_limit: int = DEFAULT_SPEAKER_LIMIT
    cohosts: list[int] = field(default_factory=list)
    speakers: list[int] = field(default_factory=list)
    present: set[int] = field(default_factory=set)  # everyone in the Stage channel now, whatever their role
    queue: list[int] = field(default_factory=list)
    invites: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    muted: set[int] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    reactions: dict[str, int] = field(default_factory=dict)
    # A list, not a set, so the summary can credit speakers in the order they came up.
    spoke: list[int] = field(default_factory=list)
    peak_listeners: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    host_absent_since: datetime | None = None
    # Reactions and pinned links: rules in `spaces_core.domain.extras`.
    # Recording (rules in `spaces_core.domain.recording`): on now; members whose voice is left out; whether
    # it was ever on (a replay exists after the end); whether the host deleted that replay.
    recording: bool = False
    recording_opt_outs: set[int] = field(default_factory=set)
    recorded: bool = False
    replay_deleted: bool = False
    # Live captions (rules in `spaces_core.domain.captions`): on now; they end with the Space, like recording.
    captions: bool = False
    # Broadcast (rules in `spaces_core.domain.broadcast`): web listeners hear it over HLS only, with no cap.
    broadcast: bool = False
    version: int = 0

    @classmethod
    def open(
        cls,
        *,
        space_id: str,
        guild_id: int,
        channel_id: int,
        host_id: int,
        title: str,
        topics: str | list[str] | tuple[str, ...],
        now: datetime,
        speaker_limit: int = DEFAULT_SPEAKER_LIMIT,
    ) -> tuple[Space, Events]:
        """Start a live Space. The host counts as present: hosts start a Space from the Stage they are in,
        and the bot reconciles the real member list right after (see SpaceService.reconcile)."""
        if not 0 <= speaker_limit <= MAX_SPEAKER_LIMIT:
            raise InvalidInput(f"The speaker limit must be between 0 and {MAX_SPEAKER_LIMIT}.")
        space = cls(
            id=space_id,
            guild_id=guild_id,
            channel_id=channel_id,
            host_id=host_id,
            original_host_id=host_id,
            title=clean_title(title),
            topics=clean_topics(topics),
            state=SpaceState.LIVE,
            created_at=now,
            started_at=now,
            speaker_limit=speaker_limit,
            present={host_id},
            spoke=[host_id],
        )
        return space, [ev.SpaceStarted(space.id, host_id, space.title, space.topics)]

    # Reading

    def role_of(self, who: Actor | int, is_moderator: bool = False) -> Role:
        user_id = who.user_id if isinstance(who, Actor) else who
        if user_id == self.host_id:
            return Role.HOST
        if user_id in self.cohosts:
            return Role.COHOST
        # Admins moderate like moderators but are never treated as host (the Space stays the host's).
        if is_moderator or (isinstance(who, Actor) and (who.is_moderator or who.is_admin)):
            return Role.MODERATOR
        if user_id in self.speakers:
            return Role.SPEAKER
        return Role.LISTENER

    @property
    def listener_count(self) -> int:
        return len(self.present - {self.host_id} - set(self.cohosts) - set(self.speakers))

    @property
    def is_live(self) -> bool:
        return self.state == SpaceState.LIVE

    def summary(self, now: datetime) -> SpaceSummary:
        end = self.ended_at or now
        credited = [self.original_host_id, *(u for u in self.spoke if u != self.original_host_id)]
        return SpaceSummary(
            duration=end - (self.started_at or self.created_at),
            peak_listeners=self.peak_listeners,
            speakers=tuple(credited),
            reactions=dict(self.reactions),
        )

    # Presence

    def join(self, user_id: int, now: datetime) -> Events:
        # Voice updates arrive after a Space ends; they are not the member's fault, so no error.
        if not self.is_live:
            return []
        if user_id in self.removed:
            raise NotAllowed(_REMOVED)
        if user_id in self.present:
            return []
        before = self.listener_count
        self.present.add(user_id)
        return self._counted(before, [ev.MemberJoined(self.id, user_id), *self.host_returned(user_id, now)])

    def leave(self, user_id: int, now: datetime, *, grace: timedelta = _DEFAULT_GRACE) -> Events:
        """A member left the Stage. The host keeps the Space for `grace`; everyone else loses their role,
        because a role held by someone who isn't there would block a stage place nobody can use."""
        if not self.is_live:
            return []
        if user_id == self.host_id:
            if self.host_absent_since is not None:
                return []
            was_present = user_id in self.present
            self.present.discard(user_id)
            self.host_absent_since = now
            left: Events = [ev.MemberLeft(self.id, user_id)] if was_present else []
            return [*left, ev.HostLeft(self.id, user_id, now + grace)]
        if user_id not in self.present:
            return []
        before = self.listener_count
        events = self._drop_roles(user_id)
        self.present.discard(user_id)
        return self._counted(before, [*events, ev.MemberLeft(self.id, user_id)])

    def host_returned(self, user_id: int, now: datetime) -> Events:
        if not self.is_live or user_id != self.host_id or self.host_absent_since is None:
            return []
        self.present.add(user_id)
        self.host_absent_since = None
        return [ev.HostReturned(self.id, user_id)]

    # Asking to speak

    def request_to_speak(self, user_id: int) -> Events:
        self._ensure_live()
        if user_id in self.removed:
            raise NotAllowed(_REMOVED)
        if user_id not in self.present:
            raise NotAllowed("Join the Stage first, then ask to speak.")
        if self.role_of(user_id) != Role.LISTENER:
            raise Conflict("You're already on stage.")
        if user_id in self.queue:
            raise Conflict("You already asked to speak.")
        self.queue.append(user_id)
        return [ev.HandRaised(self.id, user_id, len(self.queue))]

    def cancel_request(self, user_id: int) -> Events:
        self._ensure_live()
        if user_id not in self.queue:
            raise NotFound("You haven't asked to speak.")
        self.queue.remove(user_id)
        return [ev.HandLowered(self.id, user_id, "cancelled")]

    def approve_request(self, actor: Actor, user_id: int) -> Events:
        self._ensure_live()
        require(self, actor, Action.APPROVE_REQUEST, user_id)
        if user_id not in self.queue:
            raise NotFound("That member isn't asking to speak any more.")
        self._ensure_stage_room(
            f"The stage is full ({self.speaker_limit} speakers). Move someone to the audience first."
        )
        before = self.listener_count
        self.queue.remove(user_id)
        self.invites.discard(user_id)
        lowered = ev.HandLowered(self.id, user_id, "approved")
        return self._counted(before, [lowered, self._add_speaker(user_id, "request")])

    def deny_request(self, actor: Actor, user_id: int) -> Events:
        self._ensure_live()
        require(self, actor, Action.DENY_REQUEST, user_id)
        if user_id not in self.queue:
            raise NotFound("That member isn't asking to speak any more.")
        self.queue.remove(user_id)
        return [ev.HandLowered(self.id, user_id, "denied")]

    def invite(self, actor: Actor, user_id: int) -> Events:
        self._ensure_live()
        require(self, actor, Action.INVITE, user_id)
        if user_id not in self.present:
            raise NotFound("That member isn't in the Stage.")
        if self.role_of(user_id) != Role.LISTENER:
            raise Conflict("That member is already on stage.")
        if user_id in self.invites:
            raise Conflict("That member already has an invitation to speak.")
        self.invites.add(user_id)
        return [ev.SpeakerInvited(self.id, user_id, actor.user_id)]

    def accept_invite(self, user_id: int) -> Events:
        self._ensure_live()
        if user_id not in self.invites:
            raise NotFound("You don't have an invitation to speak.")
        self._ensure_stage_room("The stage filled up before you accepted; raise your hand to be next.")
        before = self.listener_count
        self.invites.discard(user_id)
        events: Events = []
        if user_id in self.queue:
            self.queue.remove(user_id)
            events.append(ev.HandLowered(self.id, user_id, "approved"))
        events.append(self._add_speaker(user_id, "invite"))
        return self._counted(before, events)

    def decline_invite(self, user_id: int) -> Events:
        self._ensure_live()
        if user_id not in self.invites:
            raise NotFound("You don't have an invitation to speak.")
        self.invites.discard(user_id)
        return [ev.InviteDeclined(self.id, user_id)]

    # Moderation

    def move_to_audience(self, actor: Actor, user_id: int) -> Events:
        self._ensure_live()
        # A speaker may always step down on their own, as on every live-audio product.
        if not (actor.user_id == user_id and user_id in self.speakers):
            require(self, actor, Action.MOVE_TO_AUDIENCE, user_id)
        if user_id in self.cohosts:
            raise InvalidInput("Co-hosts leave the stage through Remove co-host.")
        if user_id not in self.speakers:
            raise NotFound("That member isn't a speaker.")
        before = self.listener_count
        self.speakers.remove(user_id)
        self.muted.discard(user_id)
        return self._counted(before, [ev.MovedToAudience(self.id, user_id, actor.user_id)])

    def mute(self, actor: Actor, user_id: int) -> Events:
        self._ensure_live()
        require(self, actor, Action.MUTE, user_id)
        if self.role_of(user_id) < Role.SPEAKER:
            raise NotFound("That member isn't on stage.")
        if user_id in self.muted:
            raise Conflict("That speaker is already muted.")
        self.muted.add(user_id)
        return [ev.MemberMuted(self.id, user_id, actor.user_id)]

    def unmute(self, actor: Actor, user_id: int) -> Events:
        """Like a Discord server mute, a mute sticks until a moderator lifts it; the speaker can't."""
        self._ensure_live()
        require(self, actor, Action.MUTE, user_id)
        if user_id not in self.muted:
            raise NotFound("That member isn't muted.")
        self.muted.discard(user_id)
        return [ev.MemberUnmuted(self.id, user_id, actor.user_id)]

    def remove(self, actor: Actor, user_id: int) -> Events:
        return self._remove(actor, user_id, blocked=False)

    def block(self, actor: Actor, user_id: int) -> Events:
        """Remove and mark as blocked; the service keeps the host's block list for later Spaces."""
        return self._remove(actor, user_id, blocked=True)

    def unblock(self, actor: Actor, user_id: int) -> Events:
        """Let a blocked (or removed) member back into this Space; the service lifts the host's block list."""
        self._ensure_live()
        require(self, actor, Action.BLOCK)
        if user_id not in self.removed:
            return []
        self.removed.discard(user_id)
        return [ev.MemberUnblocked(self.id, user_id, actor.user_id)]

    def add_cohost(self, actor: Actor, user_id: int) -> Events:
        self._ensure_live()
        require(self, actor, Action.ADD_COHOST, user_id)
        if user_id == self.host_id:
            raise InvalidInput("You're already the host.")
        if user_id in self.cohosts:
            raise Conflict("That member is already a co-host.")
        if user_id not in self.present:
            raise NotFound("That member isn't in the Stage.")
        if len(self.cohosts) >= MAX_COHOSTS:
            raise SpaceFull(f"A Space can have at most {MAX_COHOSTS} co-hosts.")
        before = self.listener_count
        events: Events = []
        if user_id in self.speakers:
            self.speakers.remove(user_id)
        if user_id in self.queue:
            self.queue.remove(user_id)
            events.append(ev.HandLowered(self.id, user_id, "approved"))
        self.invites.discard(user_id)
        self.cohosts.append(user_id)
        self._credit(user_id)
        return self._counted(before, [*events, ev.CohostAdded(self.id, user_id)])

    def remove_cohost(self, actor: Actor, user_id: int) -> Events:
        """The co-host keeps speaking if there is room (that's what a host demoting a co-host expects)."""
        self._ensure_live()
        if not (actor.user_id == user_id and user_id in self.cohosts):  # co-hosts may step down themselves
            require(self, actor, Action.REMOVE_COHOST, user_id)
        if user_id not in self.cohosts:
            raise NotFound("That member isn't a co-host.")
        before = self.listener_count
        self.cohosts.remove(user_id)
        events: Events = [ev.CohostRemoved(self.id, user_id)]
        if len(self.speakers) < self.speaker_limit:
            events.append(self._add_speaker(user_id, "cohost"))
        else:
            self.muted.discard(user_id)
        return self._counted(before, events)

    # Succession and end

    def due_succession(self, now: datetime, grace: timedelta) -> bool:
        return self.is_live and self.host_absent_since is not None and now - self.host_absent_since >= grace

    def succeed(self, now: datetime) -> Events:
        """The host is gone for good: the longest-serving co-host takes over, or the Space ends."""
        self._ensure_live()
        if self.host_absent_since is None:
            return []
        if not self.cohosts:
            return self.end(None, now, "host_left")
        old, new = self.host_id, self.cohosts.pop(0)
        self.host_id = new
        self.host_absent_since = None
        self.muted.discard(new)  # a host who can't speak can't run the Space
        self.muted.discard(old)  # the old host is gone and holds no stage place
        return [ev.HostChanged(self.id, old, new)]

    def end(self, actor: Actor | None, now: datetime, reason: ev.EndReason = "host_ended") -> Events:
        """`actor=None` is the system (succession with no co-host, a scheduled stop)."""
        self._ensure_live()
        if actor is not None:
            require(self, actor, Action.END)
        self.state = SpaceState.ENDED
        self.ended_at = now
        self.host_absent_since = None
        self.queue.clear()
        self.invites.clear()
        stopped: Events = [ev.RecordingStopped(self.id, None)] if self.recording else []
        if self.captions:
            stopped.append(ev.CaptionsStopped(self.id, None))
        self.recording = self.captions = False
        return [*stopped, ev.SpaceEnded(self.id, self.summary(now), reason)]

    # Helpers

    def _ensure_live(self) -> None:
        if self.state == SpaceState.SCHEDULED:
            raise SpaceNotLive("This Space hasn't started yet.")
        if self.state != SpaceState.LIVE:
            raise SpaceNotLive("This Space has ended.")

    def _ensure_stage_room(self, message: str) -> None:
        if len(self.speakers) >= self.speaker_limit:
            raise SpaceFull(message)

    def _credit(self, user_id: int) -> None:
        if user_id not in self.spoke:
            self.spoke.append(user_id)

    def _add_speaker(self, user_id: int, via: Literal["request", "invite", "host", "cohost"]) -> ev.SpeakerAdded:
        self.speakers.append(user_id)
        self._credit(user_id)
        return ev.SpeakerAdded(self.id, user_id, via)

    def _drop_roles(self, user_id: int) -> Events:
        """Take away every role and pending entry of a member who leaves or is removed (not the host)."""
        events: Events = []
        if user_id in self.cohosts:
            self.cohosts.remove(user_id)
            events.append(ev.CohostRemoved(self.id, user_id))
        if user_id in self.speakers:
            self.speakers.remove(user_id)
        if user_id in self.queue:
            self.queue.remove(user_id)
            events.append(ev.HandLowered(self.id, user_id, "left"))
        self.invites.discard(user_id)
        self.muted.discard(user_id)
        return events

    def _remove(self, actor: Actor, user_id: int, *, blocked: bool) -> Events:
        self._ensure_live()
        require(self, actor, Action.BLOCK if blocked else Action.REMOVE, user_id)
        if user_id == actor.user_id:
            raise InvalidInput("You can't remove yourself; leave the Stage instead.")
        if user_id in self.removed and not blocked:
            raise Conflict("That member was already removed.")
        before = self.listener_count
        events = self._drop_roles(user_id)
        self.present.discard(user_id)
        self.removed.add(user_id)
        return self._counted(before, [*events, ev.MemberRemoved(self.id, user_id, blocked, actor.user_id)])

    def _counted(self, before: int, events: Events) -> Events:
        after = self.listener_count
        self.peak_listeners = max(self.peak_listeners, after)
        if after != before:
            events.append(ev.CountsChanged(self.id, after, self.peak_listeners))
        return events
