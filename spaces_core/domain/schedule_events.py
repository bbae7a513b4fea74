"""Schedule events: what happened to a scheduled Space, published on the message bus after the commit.

Every event carries `schedule_id`; the bus hands it over with the `ScheduledSpace` as saved. Who is told is
decided by the service when it commits (`audience`: member ids), so a handler only renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from spaces_core.domain.tickets import RefundReason

__all__ = [
    "HostAlertDue",
    "ReminderDue",
    "ScheduleCancelled",
    "ScheduleEnded",
    "ScheduleEvent",
    "ScheduleTicketsRefunded",
    "ScheduleWentLive",
    "SpaceRescheduled",
    "SpaceScheduled",
    "StartPromptDue",
]


@dataclass(frozen=True, slots=True)
class ScheduleEvent:
    schedule_id: str


@dataclass(frozen=True, slots=True)
class SpaceScheduled(ScheduleEvent):
    """Planned and committed; the Discord event is still to be made (its id is recorded by its handler)."""


@dataclass(frozen=True, slots=True)
class ReminderDue(ScheduleEvent):
    audience: tuple[int, ...]
    offset: int  # seconds before the start


@dataclass(frozen=True, slots=True)
class HostAlertDue(ScheduleEvent):
    """The host may open it from now on (`host_alert_seconds` before the start)."""


@dataclass(frozen=True, slots=True)
class StartPromptDue(ScheduleEvent):
    """The start time: the host gets the Start now button."""


@dataclass(frozen=True, slots=True)
class SpaceRescheduled(ScheduleEvent):
    audience: tuple[int, ...]
    old_start: datetime


@dataclass(frozen=True, slots=True)
class ScheduleCancelled(ScheduleEvent):
    audience: tuple[int, ...]
    missed: bool  # the host never started it (the missed-start job), rather than cancelled it


@dataclass(frozen=True, slots=True)
class ScheduleWentLive(ScheduleEvent):
    audience: tuple[int, ...]  # who asked to be reminded and gets no follower go-live DM


@dataclass(frozen=True, slots=True)
class ScheduleEnded(ScheduleEvent):
    """Its live Space is over."""


@dataclass(frozen=True, slots=True)
class ScheduleTicketsRefunded(ScheduleEvent):
    """Every ticket of a cancelled or missed ticketed Space is refunded (published by the ticket rule, once the
    refunds are done, so the Space's role is deleted only after each holder's was taken back)."""

    reason: RefundReason
    refunded: int
