"""The Discord side of scheduled Spaces on the message bus: one handler per schedule event, rendering only.

Registered before any ticket handler of the same events (bootstrap's `_register_schedules`), so members see the
Discord event and the card change before refunds, Keep-or-Refund questions or closed doors follow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.schedules.announcer import DiscordScheduleAnnouncer
from spaces_core.bus import MessageBus
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.schedule_events import (
    HostAlertDue,
    ReminderDue,
    ScheduleCancelled,
    ScheduleEnded,
    ScheduleWentLive,
    SpaceRescheduled,
    SpaceScheduled,
    StartPromptDue,
)

__all__ = ["RecordDiscordEvent", "register"]

RecordDiscordEvent = Callable[[str, int], Awaitable[None]]  # ScheduleService.record_discord_event


def register(bus: MessageBus, announcer: DiscordScheduleAnnouncer, *, record_discord_event: RecordDiscordEvent) -> None:
    async def scheduled(schedule: ScheduledSpace, event: SpaceScheduled) -> None:
        """The Discord event (its id stored: later changes edit it) and the card with Remind me."""
        event_id = await announcer.create_event(schedule)
        await announcer.post_card(schedule)
        if event_id is not None:
            await record_discord_event(schedule.id, event_id)

    bus.subscribe(SpaceScheduled, scheduled, name="schedules: Discord event and card")
    bus.subscribe(ReminderDue, announcer.remind, name="schedules: reminder DMs")
    bus.subscribe(HostAlertDue, announcer.host_alert, name="schedules: host alert")
    bus.subscribe(StartPromptDue, announcer.start_prompt, name="schedules: Start now prompt")
    bus.subscribe(SpaceRescheduled, announcer.rescheduled, name="schedules: moved")
    bus.subscribe(ScheduleCancelled, announcer.cancelled, name="schedules: cancelled or missed")
    bus.subscribe(ScheduleWentLive, announcer.went_live, name="schedules: live")
    bus.subscribe(ScheduleEnded, announcer.ended, name="schedules: Discord event completed")
