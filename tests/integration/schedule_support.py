"""Shared pieces for the scheduled-Space integration tests: a recording Discord side and a wired service."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from spaces_core.clock import SystemClock
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.space import Space
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.scheduling import ApsJobPlanner
from spaces_core.services.schedules import ScheduleService

__all__ = ["FAST", "Announced", "Wired", "in_seconds", "wire"]

# Seconds instead of hours, so a test sees every job fire: reminders 2 s and 0 s before, alert 1 s, grace 1 s.
FAST = SchedulePolicy(reminder_offsets=(2, 0), host_alert=timedelta(seconds=1), grace=timedelta(seconds=1))


@dataclass
class Announced:
    """The Discord side as a list of what it was asked to say (a fake of the adapter, not of our core)."""

    said: list[tuple[str, str, tuple[int, ...]]] = field(default_factory=list)
    next_event: int = 7000

    def kinds(self, schedule_id: str) -> list[str]:
        return [kind for kind, sid, _ in self.said if sid == schedule_id]

    async def scheduled(self, schedule: ScheduledSpace) -> int | None:
        self.next_event += 1
        self.said.append(("scheduled", schedule.id, ()))
        return self.next_event

    async def remind(self, schedule: ScheduledSpace, audience: Sequence[int], offset: int) -> None:
        self.said.append((f"remind:{offset}", schedule.id, tuple(audience)))

    async def host_alert(self, schedule: ScheduledSpace) -> None:
        self.said.append(("host_alert", schedule.id, ()))

    async def start_prompt(self, schedule: ScheduledSpace) -> None:
        self.said.append(("start", schedule.id, ()))

    async def rescheduled(self, schedule: ScheduledSpace, audience: Sequence[int], old_start: datetime) -> None:
        self.said.append(("rescheduled", schedule.id, tuple(audience)))

    async def cancelled(self, schedule: ScheduledSpace, audience: Sequence[int], missed: bool) -> None:
        self.said.append(("missed" if missed else "cancelled", schedule.id, tuple(audience)))

    async def went_live(self, schedule: ScheduledSpace, audience: Sequence[int]) -> None:
        self.said.append(("live", schedule.id, tuple(audience)))

    async def ended(self, schedule: ScheduledSpace) -> None:
        self.said.append(("ended", schedule.id, ()))


@dataclass
class Wired:
    service: ScheduleService
    planner: ApsJobPlanner
    announced: Announced


async def _no_live(schedule: ScheduledSpace, actor: Actor) -> Space:
    raise AssertionError("not started in these tests")


def wire(
    uow_factory: UnitOfWorkFactory,
    url: str,
    *,
    name: str,
    announced: Announced | None = None,
    connect_args: Mapping[str, Any] | None = None,
    lock_key: int | None = None,
) -> Wired:
    announced = announced or Announced()
    holder: list[ScheduleService] = []

    async def runner(schedule_id: str, revision: int, key: str) -> bool:
        return await holder[0].fire(schedule_id, revision, key)

    extra = {"lock_key": lock_key} if lock_key is not None else {}
    planner = ApsJobPlanner(url, runner, name=name, connect_args=connect_args, poll=0.2, **extra)
    service = ScheduleService(uow_factory, SystemClock(), planner, announced, _no_live, policy=FAST)
    holder.append(service)
    return Wired(service, planner, announced)


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def until(check: Any, timeout: float = 8.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
