"""Shared pieces for the scheduled-Space integration tests: a recording Discord side and a wired service."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from spaces_core.clock import SystemClock
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.space import Space
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.scheduling import ApsJobPlanner
from spaces_core.services.schedules import ScheduleService
from tests.announcer_fake import Announced

__all__ = ["FAST", "Announced", "Wired", "in_seconds", "wire"]

# Seconds instead of hours, so a test sees every job fire: reminders 2 s and 0 s before, alert 1 s, grace 1 s.
FAST = SchedulePolicy(reminder_offsets=(2, 0), host_alert=timedelta(seconds=1), grace=timedelta(seconds=1))


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
    service = ScheduleService(uow_factory, SystemClock(), planner, announced.bus, _no_live, policy=FAST)
    announced.record_event = service.record_discord_event
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
