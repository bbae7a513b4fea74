"""A recording fake of the Discord side of scheduled Spaces (the adapter port, not our core), shared by the
unit and integration tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from spaces_core.domain.schedule import ScheduledSpace

__all__ = ["Announced"]


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
