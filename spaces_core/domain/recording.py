"""Recording a Space: who may turn it on and off, a member's opt-out, and the replay left after the end.

Functions of the Space aggregate (its fields live on `Space`), kept here so the aggregate's module stays about
roles. Like the aggregate's methods they change the Space, return the events and raise the member's sentence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, NotAllowed, NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space, SpaceState

__all__ = ["delete_replay", "has_replay", "may_delete_replay", "replay_expired", "set_opt_out", "set_recording"]


def set_recording(space: Space, actor: Actor, on: bool) -> list[ev.DomainEvent]:
    """Only the host and co-hosts: moderators keep order, but recording is the host's decision."""
    space._ensure_live()
    if actor.user_id != space.host_id and actor.user_id not in space.cohosts:
        raise NotAllowed("Only the host or a co-host can turn recording on or off.")
    if space.recording == on:
        raise Conflict("This Space is already being recorded." if on else "This Space isn't being recorded.")
    space.recording = on
    if on:
        space.recorded = True
        return [ev.RecordingStarted(space.id, actor.user_id)]
    return [ev.RecordingStopped(space.id, actor.user_id)]


def set_opt_out(space: Space, user_id: int, out: bool) -> list[ev.DomainEvent]:
    """Anyone in the Stage may opt out, before or after they come up to speak; it lasts for this Space."""
    space._ensure_live()
    if user_id not in space.present:
        raise NotAllowed("Join the Stage first.")
    if out == (user_id in space.recording_opt_outs):
        raise Conflict(
            "Your voice is already left out of the recording." if out else "Your voice is already in the recording."
        )
    if out:
        space.recording_opt_outs.add(user_id)
    else:
        space.recording_opt_outs.discard(user_id)
    return [ev.RecordingOptOut(space.id, user_id, out)]


def has_replay(space: Space) -> bool:
    return space.state == SpaceState.ENDED and space.recorded and not space.replay_deleted


def replay_expired(space: Space, now: datetime, keep: timedelta) -> bool:
    """A replay is kept for `keep` after its Space ended (RECORDINGS_RETENTION_DAYS); after that it goes."""
    return has_replay(space) and space.ended_at is not None and now - space.ended_at >= keep


def may_delete_replay(space: Space, user_id: int) -> bool:
    """The host at the end, or the member who opened the Space: the ones whose replay it is."""
    return user_id in (space.host_id, space.original_host_id)


def delete_replay(space: Space, actor: Actor) -> list[ev.DomainEvent]:
    """The host at the end, or the member who opened the Space, may delete it; nobody else."""
    if not may_delete_replay(space, actor.user_id):
        raise NotAllowed("Only the host can delete the replay.")
    if space.state == SpaceState.LIVE:
        raise Conflict("The replay exists once the Space has ended; turn recording off with `/space record off`.")
    if not has_replay(space):
        raise NotFound("This Space has no replay.")
    space.replay_deleted = True
    return [ev.ReplayDeleted(space.id, actor.user_id)]
