"""Use cases of scheduled Spaces: schedule, Remind me, interest from Discord, reschedule, cancel, start, and the
jobs the scheduler fires (reminders, host alert, Start now prompt, missed start).

Order of effects: the database first (commit), then the scheduler, then the schedule events on the message bus
(the Discord event, the card, DMs; with tickets, refunds and the Stage's doors). A crash after the commit leaves
a Space whose jobs `resync` plans again at the next start; a job that fires twice is stopped by the delivery
claim; a job planned for an old time is stopped by the revision check. Every save of a `ScheduledSpace` runs
through `retrying` (see `concurrency`): two writers at once (Start now as the missed-start job fires) both
land, or the second is refused by the domain against what the first committed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import uuid4

from spaces_core.bus import MessageBus
from spaces_core.domain.errors import InvalidInput, NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import check_host_eligibility
from spaces_core.domain.schedule import Job, JobKind, ScheduledSpace, SchedulePolicy
from spaces_core.domain.schedule_events import (
    HostAlertDue,
    ReminderDue,
    ScheduleCancelled,
    ScheduleEnded,
    ScheduleEvent,
    ScheduleWentLive,
    SpaceRescheduled,
    SpaceScheduled,
    StartPromptDue,
)
from spaces_core.domain.space import Space
from spaces_core.domain.when import time_zone
from spaces_core.ports import Clock, JobPlanner, UnitOfWork, UnitOfWorkFactory, WhenReader
from spaces_core.services.concurrency import retrying
from spaces_core.when_reader import DateparserWhen

__all__ = ["BUTTON", "INTERESTED", "ScheduleService"]

log = logging.getLogger(__name__)
BUTTON, INTERESTED = "button", "interested"
StartLive = Callable[[ScheduledSpace, Actor], Awaitable[Space]]


async def _audience(uow: UnitOfWork, schedule: ScheduledSpace) -> tuple[int, ...]:
    """Followers who want DMs, plus everyone who pressed Remind me or is Interested in the Discord event."""
    people = set(await uow.follows.followers_to_notify(schedule.host_id))
    people |= set(await uow.schedules.wishers(schedule.id))
    people.discard(schedule.host_id)
    return tuple(sorted(people))


class ScheduleService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        planner: JobPlanner,
        bus: MessageBus,
        start_live: StartLive,
        *,
        policy: SchedulePolicy | None = None,
        id_factory: Callable[[], str] = lambda: uuid4().hex,
        when_reader: WhenReader | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._planner = planner
        self._bus = bus
        self._start_live = start_live
        self._policy = policy or SchedulePolicy()
        self._id_factory = id_factory
        self._when = when_reader or DateparserWhen()

    async def schedule(
        self, *, guild_id: int, channel_id: int, actor: Actor, title: str, topics: str, when: str
    ) -> ScheduledSpace:
        now = self._clock.now()
        async with self._uow_factory() as uow:
            zone = time_zone((await uow.prefs.get(actor.user_id)).timezone)
            starts_at = self._when.read(when, now=now, zone=zone)
            guild = await uow.policies.get(guild_id)
            count = await uow.follows.follower_count(actor.user_id)
            check_host_eligibility(guild.hosting_rule, follower_count=count, actor=actor)
            schedule = ScheduledSpace.plan(
                schedule_id=self._id_factory(),
                guild_id=guild_id,
                channel_id=channel_id,
                host_id=actor.user_id,
                title=title,
                topics=topics,
                starts_at=starts_at,
                now=now,
                policy=self._policy.for_guild(guild.reminder_offsets),
                upcoming_of_host=await uow.schedules.count_upcoming_of_host(actor.user_id),
            )
            await uow.schedules.add(schedule)
            await uow.commit()
        await self._planner.plan(schedule.id, schedule.revision, schedule.jobs(now))
        await self._publish(schedule, SpaceScheduled(schedule.id))
        async with self._uow_factory() as uow:  # as its handlers left it: with its Discord event, if one was made
            return await self._load(uow, schedule.id)

    async def record_discord_event(self, schedule_id: str, event_id: int) -> None:
        """The Discord Scheduled Event mirroring the Space (reschedule, cancel, go-live and end edit it)."""
        await retrying(lambda: self._store_event(schedule_id, event_id))

    async def _store_event(self, schedule_id: str, event_id: int) -> None:
        async with self._uow_factory() as uow:
            stored = await self._load(uow, schedule_id)
            stored.event_id = event_id
            await uow.schedules.save(stored)
            await uow.commit()

    async def reschedule(self, *, actor: Actor, when: str, title: str | None = None) -> ScheduledSpace:
        now = self._clock.now()

        async def attempt() -> tuple[ScheduledSpace, int, list[str], datetime, tuple[int, ...]]:
            async with self._uow_factory() as uow:
                zone = time_zone((await uow.prefs.get(actor.user_id)).timezone)
                starts_at = self._when.read(when, now=now, zone=zone)
                schedule = await self._own(uow, actor, title)
                old_revision, old_keys = schedule.revision, schedule.job_keys()  # the offsets may change too
                policy = self._policy.for_guild((await uow.policies.get(schedule.guild_id)).reminder_offsets)
                old_start = schedule.reschedule(actor, starts_at, now, policy)
                await uow.schedules.save(schedule)
                audience = await _audience(uow, schedule)
                await uow.commit()
            return schedule, old_revision, old_keys, old_start, audience

        schedule, old_revision, old_keys, old_start, audience = await retrying(attempt)
        await self._planner.unplan(schedule.id, old_revision, old_keys)
        await self._planner.plan(schedule.id, schedule.revision, schedule.jobs(now))
        await self._publish(schedule, SpaceRescheduled(schedule.id, audience, old_start))
        return schedule

    async def cancel(self, *, actor: Actor, title: str | None = None) -> ScheduledSpace:
        async def attempt() -> tuple[ScheduledSpace, int, tuple[int, ...]]:
            async with self._uow_factory() as uow:
                schedule = await self._own(uow, actor, title)
                old_revision = schedule.revision
                schedule.cancel(actor)
                await uow.schedules.save(schedule)
                audience = await _audience(uow, schedule)
                await uow.commit()
            return schedule, old_revision, audience

        schedule, old_revision, audience = await retrying(attempt)
        await self._planner.unplan(schedule.id, old_revision, schedule.job_keys())
        await self._publish(schedule, ScheduleCancelled(schedule.id, audience, missed=False))
        return schedule

    async def startable_by(
        self, *, guild_id: int, host_id: int, channel_id: int | None = None
    ) -> ScheduledSpace | None:
        """The host's scheduled Space that `/space start` opens instead of a new one: on that Stage (on any Stage
        of the server when `channel_id` is None) and inside the window in which Start now works, from the host
        alert (30 min) before its start until its grace is over. Opening an unscheduled Space then would leave
        the scheduled one to be marked missed (and its tickets refunded) while the host is live on its Stage.
        The soonest when there are several: one already due goes before one still to come."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            mine = await uow.schedules.upcoming_of_host(host_id)
        fits = [
            schedule
            for schedule in mine
            if schedule.guild_id == guild_id
            and (channel_id is None or schedule.channel_id == channel_id)
            and schedule.startable(now)
        ]
        return min(fits, key=lambda schedule: (schedule.starts_at, schedule.id), default=None)

    async def start_now(
        self, schedule_id: str, actor: Actor, *, title: str | None = None, topics: str | None = None
    ) -> Space:
        """Open the live Space (with `title` / `topics` instead of the planned ones when given). Reminders still
        planned never fire (a host who starts early makes them wrong): instead everyone in the audience is told
        once that it is live, except followers, who get the go-live DM every live Space sends."""
        async with self._uow_factory() as uow:
            schedule = await self._load(uow, schedule_id)
            schedule.go_live(actor, self._clock.now())
        space = await self._start_live(schedule.opening(title=title, topics=topics), actor)
        schedule, old_revision, untold = await retrying(lambda: self._opened(schedule_id, space.id))
        await self._planner.unplan(schedule.id, old_revision, schedule.job_keys())
        await self._publish(schedule, ScheduleWentLive(schedule.id, untold))
        return space

    async def _opened(self, schedule_id: str, space_id: str) -> tuple[ScheduledSpace, int, tuple[int, ...]]:
        async with self._uow_factory() as uow:
            schedule = await self._load(uow, schedule_id)
            old_revision = schedule.revision
            schedule.opened(space_id)
            await uow.schedules.save(schedule)
            told = set(await uow.follows.followers_to_notify(schedule.host_id))
            untold = tuple(user_id for user_id in await _audience(uow, schedule) if user_id not in told)
            await uow.commit()
        return schedule, old_revision, untold

    async def space_ended(self, space_id: str) -> bool:
        """A live Space ended: if it came from a schedule, that one is over (`ScheduleEnded`: its Discord event is
        completed, a ticketed Stage's doors open)."""

        async def attempt() -> ScheduledSpace | None:
            async with self._uow_factory() as uow:
                schedule = await uow.schedules.by_live_space(space_id)
                if schedule is None or not schedule.live_ended():
                    return None
                await uow.schedules.save(schedule)
                await uow.commit()
            return schedule

        schedule = await retrying(attempt)
        if schedule is None:
            return False
        await self._publish(schedule, ScheduleEnded(schedule.id))
        return True

    async def toggle_reminder(self, schedule_id: str, user_id: int) -> tuple[ScheduledSpace, bool]:
        """Remind me: returns the Space and whether the member will now be reminded."""
        async with self._uow_factory() as uow:
            schedule = await self._load(uow, schedule_id)
            if not schedule.is_upcoming:
                raise InvalidInput(f"This Space is {schedule.state.value}: there is nothing to be reminded of.")
            on = not await uow.schedules.has_wish(schedule_id, user_id, BUTTON)
            await uow.schedules.set_wish(schedule_id, user_id, BUTTON, on)
            await uow.commit()
        return schedule, on

    async def set_interest(self, event_id: int, user_id: int, interested: bool) -> bool:
        """A member marked (or unmarked) the Discord event as Interested; False for events that aren't ours."""
        async with self._uow_factory() as uow:
            schedule = await uow.schedules.by_event(event_id)
            if schedule is None:
                return False
            await uow.schedules.set_wish(schedule.id, user_id, INTERESTED, interested)
            await uow.commit()
        return True

    async def upcoming(self, guild_id: int, viewer_id: int) -> list[ScheduledSpace]:
        """The server's upcoming Spaces, those of hosts the viewer follows first, each group soonest first."""
        async with self._uow_factory() as uow:
            found = await uow.schedules.upcoming_in_guild(guild_id)
            followed = set(await uow.follows.following(viewer_id))
        return sorted(found, key=lambda s: (s.host_id not in followed, s.starts_at, s.id))

    async def get(self, schedule_id: str) -> ScheduledSpace:
        async with self._uow_factory() as uow:
            return await self._load(uow, schedule_id)

    async def of_live_space(self, space_id: str) -> ScheduledSpace | None:
        """The scheduled Space a live Space was opened from (None for one opened with `/space start`)."""
        async with self._uow_factory() as uow:
            return await uow.schedules.by_live_space(space_id)

    async def resync(self) -> int:
        """Plan again the future jobs of every upcoming Space (after a crash between commit and planning).
        Job ids are deterministic, so jobs already stored are replaced by identical ones, never doubled."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            upcoming = await uow.schedules.all_upcoming()
        for schedule in upcoming:
            await self._planner.plan(schedule.id, schedule.revision, schedule.jobs(now))
        return len(upcoming)

    async def fire(self, schedule_id: str, revision: int, key: str) -> bool:
        """Run one job, once. False when it was stale (moved, cancelled, started) or already run elsewhere."""
        now = self._clock.now()
        claimed = await retrying(lambda: self._claim(schedule_id, revision, key, now))
        if claimed is None:
            return False
        schedule, job, audience = claimed
        await self._publish(schedule, _job_event(schedule.id, job.kind, job.offset, audience))
        return True

    async def _claim(
        self, schedule_id: str, revision: int, key: str, now: datetime
    ) -> tuple[ScheduledSpace, Job, tuple[int, ...]] | None:
        """The job's claim committed (with the missed state for a missed-start job); None when it must not run."""
        async with self._uow_factory() as uow:
            schedule = await uow.schedules.get(schedule_id)
            job = schedule.job_for(key) if schedule is not None else None
            if schedule is None or job is None or not schedule.is_current(revision):
                log.info("job %s:%s:%s is stale; skipped", schedule_id, revision, key)
                return None
            if not await uow.schedules.claim(schedule_id, revision, key, now):
                log.info("job %s:%s:%s already ran; skipped", schedule_id, revision, key)
                return None
            if job.kind is JobKind.MISSED:
                if not schedule.miss(now):  # fired a moment early by a skewed clock: nothing to do
                    await uow.commit()
                    return None
                await uow.schedules.save(schedule)
            audience = await _audience(uow, schedule)
            await uow.commit()
        return schedule, job, audience

    async def _publish(self, schedule: ScheduledSpace, event: ScheduleEvent) -> None:
        await self._bus.publish(schedule, [event])

    async def _load(self, uow: UnitOfWork, schedule_id: str) -> ScheduledSpace:
        schedule = await uow.schedules.get(schedule_id)
        if schedule is None:
            raise NotFound("That scheduled Space doesn't exist any more.")
        return schedule

    async def _own(self, uow: UnitOfWork, actor: Actor, title: str | None) -> ScheduledSpace:
        """The actor's upcoming Space with that title (or starting with it); the next one when no title."""
        mine = await uow.schedules.upcoming_of_host(actor.user_id)
        if title:
            wanted = title.strip().casefold()
            mine = [s for s in mine if s.title.casefold().startswith(wanted)]
        if not mine:
            raise NotFound("You have no upcoming Space" + (" with that title." if title else "."))
        return mine[0]


def _job_event(schedule_id: str, kind: JobKind, offset: int, audience: tuple[int, ...]) -> ScheduleEvent:
    if kind is JobKind.REMIND:
        return ReminderDue(schedule_id, audience, offset)
    if kind is JobKind.HOST_ALERT:
        return HostAlertDue(schedule_id)
    if kind is JobKind.START:
        return StartPromptDue(schedule_id)
    return ScheduleCancelled(schedule_id, audience, missed=True)
