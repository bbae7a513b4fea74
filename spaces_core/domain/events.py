"""Domain events: what happened to a Space, for the adapters to act on (Stage, card, DMs).

Every event carries `space_id`. Events are facts, so they are frozen; the bus (`spaces_core.bus`) hands them
to each handler with the Space as saved, which the adapters use to re-render cards instead of replaying events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypeAlias

__all__ = [
    "BroadcastChanged",
    "CaptionsStarted",
    "CaptionsStopped",
    "CohostAdded",
    "CohostRemoved",
    "CountsChanged",
    "DomainEvent",
    "EndReason",
    "HandLowered",
    "HandRaised",
    "HostChanged",
    "HostLeft",
    "HostReturned",
    "InviteDeclined",
    "LinkPinned",
    "LinkUnpinned",
    "MemberJoined",
    "MemberLeft",
    "MemberMuted",
    "MemberRemoved",
    "MemberUnblocked",
    "MemberUnmuted",
    "MovedToAudience",
    "Reacted",
    "RecordingOptOut",
    "RecordingStarted",
    "RecordingStopped",
    "RejoinRefused",
    "ReplayDeleted",
    "SpaceEnded",
    "SpaceStarted",
    "SpaceSummary",
    "SpeakerAdded",
    "SpeakerInvited",
]

# "host_ended": the host pressed End; "host_left": the host's grace ran out with no co-host to take over.
EndReason: TypeAlias = str


@dataclass(frozen=True, slots=True)
class SpaceSummary:
    duration: timedelta
    peak_listeners: int
    speakers: tuple[int, ...]  # who was on stage, the original host first, then in order of first appearance
    reactions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpaceStarted:
    space_id: str
    host_id: int
    title: str
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemberJoined:
    space_id: str
    user_id: int


@dataclass(frozen=True, slots=True)
class MemberLeft:
    space_id: str
    user_id: int


@dataclass(frozen=True, slots=True)
class HandRaised:
    space_id: str
    user_id: int
    position: int  # 1-based place in the queue


@dataclass(frozen=True, slots=True)
class HandLowered:
    space_id: str
    user_id: int
    reason: Literal["cancelled", "denied", "approved", "left"]


@dataclass(frozen=True, slots=True)
class SpeakerAdded:
    space_id: str
    user_id: int
    # "cohost": a co-host stepped down (or was removed as co-host) and keeps speaking. "host" is reserved for
    # a direct promotion by the host, which the domain does not offer yet (it goes through invite).
    via: Literal["request", "invite", "host", "cohost"]


@dataclass(frozen=True, slots=True)
class SpeakerInvited:
    space_id: str
    user_id: int
    by_id: int


@dataclass(frozen=True, slots=True)
class InviteDeclined:
    space_id: str
    user_id: int


@dataclass(frozen=True, slots=True)
class MovedToAudience:
    space_id: str
    user_id: int
    by_id: int


@dataclass(frozen=True, slots=True)
class MemberMuted:
    space_id: str
    user_id: int
    by_id: int


@dataclass(frozen=True, slots=True)
class MemberUnmuted:
    space_id: str
    user_id: int
    by_id: int


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    space_id: str
    user_id: int
    blocked: bool
    by_id: int


@dataclass(frozen=True, slots=True)
class MemberUnblocked:
    """The host lifted a block: the member may come back to this Space."""

    space_id: str
    user_id: int
    by_id: int


@dataclass(frozen=True, slots=True)
class RejoinRefused:
    """A removed or blocked member entered the Stage; the bot disconnects them and says why."""

    space_id: str
    user_id: int
    reason: str  # the sentence the member reads, e.g. "You were removed from this Space by the host."


@dataclass(frozen=True, slots=True)
class CohostAdded:
    space_id: str
    user_id: int


@dataclass(frozen=True, slots=True)
class CohostRemoved:
    space_id: str
    user_id: int


@dataclass(frozen=True, slots=True)
class HostLeft:
    space_id: str
    user_id: int
    grace_ends_at: datetime


@dataclass(frozen=True, slots=True)
class HostReturned:
    space_id: str
    user_id: int


@dataclass(frozen=True, slots=True)
class HostChanged:
    space_id: str
    old_host_id: int
    new_host_id: int


@dataclass(frozen=True, slots=True)
class SpaceEnded:
    space_id: str
    summary: SpaceSummary
    reason: EndReason


@dataclass(frozen=True, slots=True)
class Reacted:
    space_id: str
    emoji: str
    count: int
    user_id: int


@dataclass(frozen=True, slots=True)
class LinkPinned:
    space_id: str
    url: str
    by_id: int


@dataclass(frozen=True, slots=True)
class LinkUnpinned:
    space_id: str
    url: str
    by_id: int


@dataclass(frozen=True, slots=True)
class CountsChanged:
    """The listener count moved; the card shows it."""

    space_id: str
    listener_count: int
    peak_listeners: int


@dataclass(frozen=True, slots=True)
class RecordingStarted:
    space_id: str
    by_id: int


@dataclass(frozen=True, slots=True)
class RecordingStopped:
    space_id: str
    by_id: int | None  # None: the Space ended while recording


@dataclass(frozen=True, slots=True)
class CaptionsStarted:
    space_id: str
    by_id: int


@dataclass(frozen=True, slots=True)
class CaptionsStopped:
    space_id: str
    by_id: int | None  # None: the Space ended with captions on


@dataclass(frozen=True, slots=True)
class BroadcastChanged:
    """A host or co-host turned broadcast on or off (web listeners over HLS only)."""

    space_id: str
    by_id: int
    on: bool


@dataclass(frozen=True, slots=True)
class RecordingOptOut:
    """A member's voice is left out of (opted_out) or back in (not opted_out) the recording."""

    space_id: str
    user_id: int
    opted_out: bool


@dataclass(frozen=True, slots=True)
class ReplayDeleted:
    space_id: str
    by_id: int


DomainEvent: TypeAlias = (
    SpaceStarted
    | MemberJoined
    | MemberLeft
    | HandRaised
    | HandLowered
    | SpeakerAdded
    | SpeakerInvited
    | InviteDeclined
    | MovedToAudience
    | MemberMuted
    | MemberUnmuted
    | MemberRemoved
    | MemberUnblocked
    | RejoinRefused
    | CohostAdded
    | CohostRemoved
    | HostLeft
    | HostReturned
    | HostChanged
    | SpaceEnded
    | Reacted
    | LinkPinned
    | LinkUnpinned
    | CountsChanged
    | RecordingStarted
    | RecordingStopped
    | RecordingOptOut
    | ReplayDeleted
    | CaptionsStarted
    | CaptionsStopped
    | BroadcastChanged
)
