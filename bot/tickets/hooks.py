"""What a scheduled Space's life means for its tickets, hooked on the `ScheduleAnnouncer` port.

A wrapper: the Discord side of scheduling stays unaware of tickets, and every call is
handed on first. Then, for a ticketed Space:
- cancelled or missed: every ticket is refunded (and its holder told), then the role is deleted;
- rescheduled: each holder is asked Keep or Refund (by DM, from the service's notifier);
- went live: the Stage's doors close to all but holders, host and moderators, holders get their personal
  listen link, the cards show "Ticket holders only";
- ended: the doors open again and the role goes.
Refunds and gating run as the desk's owned tasks: `/space cancel` answers at once, however many holders.

A co-host added to a live ticketed Space is let in by a core handler (`spaces_core.handlers.cohost_door`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

from bot.dms import DmSender
from bot.tickets.gate import TicketGate
from bot.tickets.render import stage_link
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.tickets import RefundReason
from spaces_core.ports import ScheduleAnnouncer
from spaces_core.services.spaces import SpaceService
from spaces_core.services.tickets import TicketService

__all__ = ["TicketedAnnouncer"]


PersonalLink = Callable[[str, int], str | None]
Spawn = Callable[[Coroutine[Any, Any, object], str], None]


class TicketedAnnouncer:
    def __init__(
        self,
        inner: ScheduleAnnouncer,
        *,
        tickets: TicketService,
        gate: TicketGate,
        spaces: SpaceService,
        dms: DmSender,
        spawn: Spawn,
        changed: Callable[[str], None],
        personal_link: PersonalLink,
    ) -> None:
        self._inner = inner
        self._tickets, self._gate, self._spaces, self._dms = tickets, gate, spaces, dms
        self._spawn, self._changed = spawn, changed
        self._personal_link = personal_link

    async def scheduled(self, schedule: ScheduledSpace) -> int | None:
        return await self._inner.scheduled(schedule)

    async def remind(self, schedule: ScheduledSpace, audience: Sequence[int], offset: int) -> None:
        await self._inner.remind(schedule, audience, offset)

    async def host_alert(self, schedule: ScheduledSpace) -> None:
        await self._inner.host_alert(schedule)

    async def start_prompt(self, schedule: ScheduledSpace) -> None:
        await self._inner.start_prompt(schedule)

    async def rescheduled(self, schedule: ScheduledSpace, audience: Sequence[int], old_start: datetime) -> None:
        await self._inner.rescheduled(schedule, audience, old_start)
        self._spawn(self._tickets.rescheduled(schedule.id), f"keep-or-refund {schedule.id}")

    async def cancelled(self, schedule: ScheduledSpace, audience: Sequence[int], missed: bool) -> None:
        await self._inner.cancelled(schedule, audience, missed)
        reason = RefundReason.MISSED if missed else RefundReason.CANCELLED
        self._spawn(self._refund_everyone(schedule, reason), f"refund-all {schedule.id}")

    async def went_live(self, schedule: ScheduledSpace, audience: Sequence[int]) -> None:
        await self._inner.went_live(schedule, audience)
        if await self._tickets.offer(schedule.id) is not None:
            self._spawn(self._open_ticketed(schedule), f"gate {schedule.id}")

    async def ended(self, schedule: ScheduledSpace) -> None:
        await self._inner.ended(schedule)
        if await self._tickets.offer(schedule.id) is not None:
            await self._gate.open_doors(schedule)
            self._changed(schedule.id)  # the card stops selling

    async def _refund_everyone(self, schedule: ScheduledSpace, reason: RefundReason) -> None:
        if await self._tickets.offer(schedule.id) is None:
            return
        await self._tickets.refund_all(schedule.id, reason=reason)
        await self._gate.open_doors(schedule)

    async def _open_ticketed(self, schedule: ScheduledSpace) -> None:
        space_id = schedule.live_space_id
        space = await self._spaces.get(space_id) if space_id is not None else None
        insiders = [schedule.host_id] if space is None else [space.host_id, *space.cohosts]
        await self._gate.close_doors(schedule, insiders)
        self._changed(schedule.id)
        for holder in await self._tickets.holders(schedule.id):
            link = self._personal_link(space_id, holder) if space_id is not None else None
            text = f"🔴 **{schedule.title}** is live — your ticket lets you on the Stage: {stage_link(schedule)}"
            if link:
                text += f"\nOr listen in a browser with your personal link (don't share it): {link}"
            self._dms.send(holder, text)
