"""Scheduled Spaces over the in-memory fakes: a planner that only records, a message bus whose Discord side only
records, and a ScheduleService wired to the live `SpaceService` of `services_support.App`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import Job, ScheduledSpace, SchedulePolicy
from spaces_core.domain.space import Space
from spaces_core.services.schedules import ScheduleService
from tests.announcer_fake import Announced as FakeAnnouncer
from tests.unit.services_support import App

__all__ = ["FakeAnnouncer", "FakePlanner", "Scheduling"]


@dataclass
class FakePlanner:
    planned: dict[tuple[str, int, str], Job] = field(default_factory=dict)

    async def plan(self, schedule_id: str, revision: int, jobs: Sequence[Job]) -> None:
        self.planned |= {(schedule_id, revision, job.key): job for job in jobs}

    async def unplan(self, schedule_id: str, revision: int, keys: Sequence[str]) -> None:
        for key in keys:
            self.planned.pop((schedule_id, revision, key), None)

    def offsets(self, schedule_id: str) -> list[int]:
        return sorted(
            (j.offset for (sid, _, k), j in self.planned.items() if sid == schedule_id and "remind" in k), reverse=True
        )


@dataclass
class Scheduling:
    app: App = field(default_factory=App)
    planner: FakePlanner = field(default_factory=FakePlanner)
    announcer: FakeAnnouncer = field(default_factory=FakeAnnouncer)
    policy: SchedulePolicy = field(default_factory=SchedulePolicy)

    def __post_init__(self) -> None:
        ids = iter(f"{n:032x}" for n in range(1, 1000))
        self.service = ScheduleService(
            self.app.db.uow,
            self.app.clock,
            self.planner,
            self.announcer.bus,
            self._start_live,
            policy=self.policy,
            id_factory=lambda: next(ids),
        )
        self.announcer.record_event = self.service.record_discord_event

    async def _start_live(self, schedule: ScheduledSpace, actor: Actor) -> Space:
        return await self.app.spaces.start_space(
            guild_id=schedule.guild_id,
            channel_id=schedule.channel_id,
            actor=actor,
            title=schedule.title,
            topics=list(schedule.topics),
        )
