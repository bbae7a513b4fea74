"""A recording Discord side of scheduled Spaces, shared by the unit and integration tests: handlers on a real
`MessageBus` that note what each schedule event asked to say (a stand-in for the Discord adapter, not our core),
and record a Discord event id when a Space is scheduled, as the real handler does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from spaces_core.bus import MessageBus
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.schedule_events import (
    HostAlertDue,
    ReminderDue,
    ScheduleCancelled,
    ScheduleEnded,
    ScheduleEvent,
    ScheduleTicketsRefunded,
    ScheduleWentLive,
    SpaceRescheduled,
    SpaceScheduled,
    StartPromptDue,
)

__all__ = ["Announced", "kind_of"]

RecordEvent = Callable[[str, int], Awaitable[None]]


def kind_of(event: ScheduleEvent) -> str:
    """The short name the tests assert on (`remind:900`, `missed`...)."""
    match event:
        case ReminderDue(offset=offset):
            return f"remind:{offset}"
        case ScheduleCancelled(missed=missed):
            return "missed" if missed else "cancelled"
        case _:
            return _KINDS[type(event)]


_KINDS: dict[type, str] = {
    SpaceScheduled: "scheduled",
    HostAlertDue: "host_alert",
    StartPromptDue: "start",
    SpaceRescheduled: "rescheduled",
    ScheduleWentLive: "live",
    ScheduleEnded: "ended",
    ScheduleTicketsRefunded: "tickets_refunded",
}


@dataclass
class Announced:
    """The bus, and what its recording handler was asked to say: (kind, schedule id, audience)."""

    bus: MessageBus = field(default_factory=MessageBus)
    said: list[tuple[str, str, tuple[int, ...]]] = field(default_factory=list)
    next_event: int = 7000
    record_event: RecordEvent | None = None  # ScheduleService.record_discord_event, once the service exists

    def __post_init__(self) -> None:
        self.bus.subscribe(ScheduleEvent, self.handle, name="recording Discord side")

    def kinds(self, schedule_id: str) -> list[str]:
        return [kind for kind, sid, _ in self.said if sid == schedule_id]

    async def handle(self, schedule: ScheduledSpace, event: ScheduleEvent) -> None:
        self.said.append((kind_of(event), event.schedule_id, tuple(getattr(event, "audience", ()))))
        if isinstance(event, SpaceScheduled) and self.record_event is not None:
            self.next_event += 1
            await self.record_event(schedule.id, self.next_event)
