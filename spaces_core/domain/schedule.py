"""A Space planned for later: when it starts, who is reminded when, and what happens if the host never shows.

Kept apart from the live `Space` aggregate: an upcoming Space has no stage, roles or queue, and the live Space is
opened (with its own rules) only when the host presses Start now. Times are passed in; nothing reads the clock.

Every planned job carries the Space's `revision`. Rescheduling bumps it, so a reminder planned for the old time is
recognisably stale even if the scheduler still held it: old reminders never fire.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed
from spaces_core.domain.refs import TimeRef
from spaces_core.domain.roles import Actor
from spaces_core.domain.validation import clean_title, clean_topics

__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_REMINDER_OFFSETS",
    "Job",
    "JobKind",
    "SchedulePolicy",
    "ScheduleState",
    "ScheduledSpace",
    "check_offsets",
    "reminder_label",
]

# 24 hours, 15 minutes, and at the start: what Twitter Spaces and Discord events get people used to.
DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (86400, 900, 0)
MAX_OFFSETS = 5
DEFAULT_HORIZON = timedelta(days=30)


class ScheduleState(StrEnum):
    UPCOMING = "upcoming"
    LIVE = "live"
    ENDED = "ended"  # it went live and the live Space has ended
    MISSED = "missed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    REMIND = "remind"  # the audience, `offset` seconds before the start
    HOST_ALERT = "host_alert"  # the host, a while before the start
    START = "start"  # the host gets the Start now button
    MISSED = "missed"  # the grace is over: mark missed, cancel the event, tell the audience


@dataclass(frozen=True, slots=True)
class SchedulePolicy:
    horizon: timedelta = DEFAULT_HORIZON
    max_upcoming_per_host: int = 10
    reminder_offsets: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS
    host_alert: timedelta = timedelta(minutes=30)
    grace: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        check_offsets(self.reminder_offsets, self.horizon)

    def for_guild(self, offsets: tuple[int, ...] | None) -> SchedulePolicy:
        """This policy with a server's own reminder offsets, when it set any."""
        return self if offsets is None else dataclasses.replace(self, reminder_offsets=offsets)


def check_offsets(offsets: tuple[int, ...], horizon: timedelta) -> tuple[int, ...]:
    """Reminder offsets (seconds before the start) a server or the bot may use: 1 to 5, none beyond the horizon
    (a reminder earlier than the furthest possible start would never fire). Returns them largest first."""
    limit = int(horizon.total_seconds())
    if len(set(offsets)) > MAX_OFFSETS or any(not 0 <= o <= limit for o in offsets):
        raise InvalidInput(
            f"Reminders: at most {MAX_OFFSETS}, each from 0 (at the start) to {horizon.days} days before the start."
        )
    return tuple(sorted(set(offsets), reverse=True))


@dataclass(frozen=True, slots=True)
class Job:
    """One thing to do at `due`. `late_limit`: how late it may still run after an outage (None: always)."""

    kind: JobKind
    due: datetime
    offset: int = 0
    late_limit: timedelta | None = None

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.offset}" if self.kind is JobKind.REMIND else self.kind.value


def reminder_label(offset: int) -> str:
    if offset == 0:
        return "is starting now"
    if offset % 86400 == 0:
        days = offset // 86400
        return f"starts in {days} day{'s' * (days != 1)}"
    if offset % 3600 == 0:
        hours = offset // 3600
        return f"starts in {hours} hour{'s' * (hours != 1)}"
    minutes = max(1, offset // 60)
    return f"starts in {minutes} minute{'s' * (minutes != 1)}"


def _remind_late_limit(offset: int) -> timedelta:
    """A reminder stays useful for a quarter of its lead (a 24 h reminder sent 6 h late still helps, a 15 min one
    sent 4 min late too); the at-start one for 10 minutes. After that it would only be noise."""
    return timedelta(seconds=offset / 4) if offset else timedelta(minutes=10)


@dataclass
class ScheduledSpace:
    id: str
    guild_id: int
    channel_id: int
    host_id: int
    title: str
    topics: tuple[str, ...]
    starts_at: datetime
    created_at: datetime
    state: ScheduleState = ScheduleState.UPCOMING
    reminder_offsets: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS
    grace_seconds: int = 900
    host_alert_seconds: int = 1800
    revision: int = 0
    event_id: int | None = None  # the Discord Scheduled Event mirroring it
    live_space_id: str | None = None
    version: int = 0
    reminded: set[int] = field(default_factory=set)  # never stored: filled by the service when needed

    @classmethod
    def plan(
        cls,
        *,
        schedule_id: str,
        guild_id: int,
        channel_id: int,
        host_id: int,
        title: str,
        topics: str | list[str] | tuple[str, ...],
        starts_at: datetime,
        now: datetime,
        policy: SchedulePolicy,
        upcoming_of_host: int,
    ) -> ScheduledSpace:
        if upcoming_of_host >= policy.max_upcoming_per_host:
            raise Conflict(
                f"You already have {upcoming_of_host} upcoming Spaces; the limit is "
                f"{policy.max_upcoming_per_host}. Cancel one with `/space cancel` first."
            )
        _check_start(starts_at, now, policy)
        return cls(
            id=schedule_id,
            guild_id=guild_id,
            channel_id=channel_id,
            host_id=host_id,
            title=clean_title(title),
            topics=clean_topics(topics),
            starts_at=starts_at,
            created_at=now,
            reminder_offsets=check_offsets(policy.reminder_offsets, policy.horizon),
            grace_seconds=int(policy.grace.total_seconds()),
            host_alert_seconds=int(policy.host_alert.total_seconds()),
        )

    @property
    def is_upcoming(self) -> bool:
        return self.state is ScheduleState.UPCOMING

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_seconds)

    def jobs(self, now: datetime) -> list[Job]:
        """Everything to plan from `now` on. Offsets already passed are skipped: scheduling a Space 10 minutes
        ahead sends no "in 15 minutes" reminder after the fact. The missed-start check is always planned."""
        *timed, missed = self._all_jobs()
        return [*(job for job in timed if job.due > now), missed]

    def job_keys(self) -> list[str]:
        """Every key `jobs` can plan, passed or not: what to drop from the scheduler when plans change."""
        return [job.key for job in self._all_jobs()]

    def job_for(self, key: str) -> Job | None:
        return next((job for job in self._all_jobs() if job.key == key), None)

    def _all_jobs(self) -> list[Job]:
        start = self.starts_at
        alert = timedelta(seconds=self.host_alert_seconds)
        return [
            *(
                Job(JobKind.REMIND, start - timedelta(seconds=o), o, _remind_late_limit(o))
                for o in self.reminder_offsets
            ),
            Job(JobKind.HOST_ALERT, start - alert, late_limit=alert),
            Job(JobKind.START, start, late_limit=self.grace),
            Job(JobKind.MISSED, start + self.grace, late_limit=None),
        ]

    def is_current(self, revision: int) -> bool:
        return self.is_upcoming and revision == self.revision

    def reschedule(self, actor: Actor, starts_at: datetime, now: datetime, policy: SchedulePolicy) -> datetime:
        """Move the start; returns the old one. Every job planned before is stale from here on, and the reminders
        follow the policy as it is now (a server may have changed its offsets since)."""
        self._require_manager(actor, "reschedule")
        self._require_upcoming()
        _check_start(starts_at, now, policy)
        if starts_at == self.starts_at:
            raise Conflict("The Space already starts at that time.")
        old, self.starts_at = self.starts_at, starts_at
        self.reminder_offsets = check_offsets(policy.reminder_offsets, policy.horizon)
        self.revision += 1
        return old

    def cancel(self, actor: Actor) -> None:
        self._require_manager(actor, "cancel", moderators=True)
        self._require_upcoming()
        self.state = ScheduleState.CANCELLED
        self.revision += 1

    @property
    def opens_at(self) -> datetime:
        """The host may start it this long before its start: as early as the host alert (30 min by default)."""
        return self.starts_at - timedelta(seconds=self.host_alert_seconds)

    def startable(self, now: datetime) -> bool:
        """Upcoming, and inside the window in which its host may start it: from `opens_at` until the grace ends."""
        return self.is_upcoming and self.opens_at <= now < self.starts_at + self.grace

    def go_live(self, actor: Actor, now: datetime) -> None:
        if actor.user_id != self.host_id:
            raise NotAllowed("Only the host can start this Space.")
        self._require_upcoming()
        if now < self.opens_at:
            raise Conflict("You can start this Space from {opens} on.", opens=TimeRef(self.opens_at, "time"))
        if not self.startable(now):
            raise Conflict("This Space was missed: schedule it again with `/space schedule`.")

    def opening(self, *, title: str | None = None, topics: str | None = None) -> ScheduledSpace:
        """What the live Space opens with: the planned title and topics, or those the host typed as they start it
        (blank means "keep"). A copy: the schedule itself keeps the name its audience, its Discord event and its
        ticket holders know it by."""
        typed_topics = clean_topics(topics) if topics else ()
        return dataclasses.replace(
            self,
            title=clean_title(title) if title and title.strip() else self.title,
            topics=typed_topics or self.topics,
            reminded=set(),
        )

    def opened(self, live_space_id: str) -> None:
        self.state = ScheduleState.LIVE
        self.live_space_id = live_space_id
        self.revision += 1

    def live_ended(self) -> bool:
        """The live Space it opened has ended; False when it was not live (ended already, or never started)."""
        if self.state is not ScheduleState.LIVE:
            return False
        self.state = ScheduleState.ENDED
        self.revision += 1
        return True

    def miss(self, now: datetime) -> bool:
        """Mark missed if the host let the grace pass; False when it started, was moved or is not due yet."""
        if not self.is_upcoming or now < self.starts_at + self.grace:
            return False
        self.state = ScheduleState.MISSED
        self.revision += 1
        return True

    def _require_upcoming(self) -> None:
        if not self.is_upcoming:
            raise Conflict(f"This Space is no longer upcoming (it is {self.state.value}).")

    def _require_manager(self, actor: Actor, verb: str, *, moderators: bool = False) -> None:
        if actor.user_id == self.host_id or actor.is_admin or (moderators and actor.is_moderator):
            return
        raise NotAllowed(f"Only the host can {verb} this Space.")


def _check_start(starts_at: datetime, now: datetime, policy: SchedulePolicy) -> None:
    if starts_at.tzinfo is None:
        raise InvalidInput("The start time needs a time zone.")
    if starts_at <= now:
        raise InvalidInput("That time ({when}) is in the past. Pick a time to come.", when=TimeRef(starts_at))
    if starts_at > now + policy.horizon:
        raise InvalidInput(
            f"That time ({{when}}) is too far ahead: Spaces can be scheduled at most {policy.horizon.days} days ahead.",
            when=TimeRef(starts_at, "full"),
        )
