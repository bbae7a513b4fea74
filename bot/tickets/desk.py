"""The background side of tickets, owned by the client: reconciliation with Stripe, cards kept current, refunds
and gating that must not hold up the command (or the scheduler job) that caused them.

- `reconcile` runs once the bot is ready and then every `interval` seconds: `TicketService.reconcile()` repairs
  what lost webhooks missed (a payment made while the bot was down becomes exactly one ticket), then the gate
  is reconciled with the database (roles, the Stage's overwrites), so gating holds after a restart.
- `changed(schedule_id)` redraws the cards of a ticketed Space (seats left) at most once per interval.
- `spawn` runs one piece of follow-up work (refund everyone of a cancelled Space...) as an owned task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from typing import Any, Protocol

import discord

from bot.coalescer import Coalescer
from bot.tickets.gate import TicketGate
from spaces_core.domain.schedule import ScheduledSpace, ScheduleState
from spaces_core.domain.space import Space
from spaces_core.domain.tickets import TicketOffer
from spaces_core.services.schedules import ScheduleService
from spaces_core.services.spaces import SpaceService
from spaces_core.services.tickets import TicketService

__all__ = ["LiveOffers", "TicketDesk"]

log = logging.getLogger(__name__)


# What the desk redraws, declared here rather than imported: the live cards (bot.spaces.cards) and the scheduled
# cards (bot.schedules.announcer) belong to features that show tickets, so they sit above this one.
class LiveCards(Protocol):
    def mark(self, space: Space) -> None: ...


class ScheduleCards(Protocol):
    async def refresh_card(self, schedule: ScheduledSpace) -> None: ...


class LiveOffers:
    """The offer of the scheduled Space a live Space opened, for the live cards. Apart from the desk because the
    desk redraws those cards: the cards and the desk both depend on this, neither on the other."""

    def __init__(self, gate: TicketGate, tickets: TicketService) -> None:
        self._gate, self._tickets = gate, tickets

    async def of_space(self, space: Space) -> TicketOffer | None:
        """None: the Space is not ticketed."""
        schedule = self._gate.gated_on(space.channel_id)
        if schedule is None or schedule.live_space_id != space.id:
            return None
        return await self._tickets.offer(schedule.id)


class TicketDesk:
    def __init__(
        self,
        client: discord.Client,
        *,
        tickets: TicketService,
        schedules: ScheduleService,
        spaces: SpaceService,
        gate: TicketGate,
        cards: LiveCards,
        announcer: ScheduleCards,
        interval: float,
        card_interval: float,
    ) -> None:
        self._client = client
        self.tickets, self.schedules, self.spaces, self.gate = tickets, schedules, spaces, gate
        self._cards, self._announcer = cards, announcer
        self._interval = interval
        self._redraw = Coalescer(self._redraw_cards, card_interval)
        self._loop: asyncio.Task[None] | None = None
        self._work: set[asyncio.Task[Any]] = set()

    # -- life cycle (the client starts and stops it) --------------------------------------------------------

    def start(self) -> None:
        self._redraw.start()
        self.tickets.start()  # the worker making the Stripe calls webhooks decided
        if self._loop is None:
            self._loop = asyncio.create_task(self._reconcile_forever(), name="ticket-reconcile")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, *self._work) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop = None
        self._work.clear()
        await self.tickets.stop()
        await self._redraw.stop()

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> None:
        task = asyncio.create_task(self._logged(work, name), name=name)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    @staticmethod
    async def _logged(work: Awaitable[object], name: str) -> None:
        try:
            await work
        except Exception:
            log.exception("ticket work %r failed (the next reconciliation resumes it)", name)

    # -- reconciliation -------------------------------------------------------------------------------------

    async def _reconcile_forever(self) -> None:
        await self._client.wait_until_ready()
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.exception("ticket reconciliation failed; retrying at the next pass")
            await asyncio.sleep(self._interval)

    async def reconcile(self) -> int:
        """One pass: Stripe first (it may grant tickets), then Discord's roles and doors from the database."""
        repaired = await self.tickets.reconcile()
        if repaired:
            log.info("ticket reconciliation repaired %d order(s)", repaired)
        live, upcoming = await self._ticketed_spaces()
        await self.gate.reconcile(live, upcoming)
        return repaired

    async def _ticketed_spaces(self) -> tuple[list[tuple[ScheduledSpace, list[int]]], list[ScheduledSpace]]:
        """Ticketed Spaces live now (with host and co-hosts), and those still upcoming. Upcoming ones are read first:
        one going live between the two reads is then in one list or both, never in neither (its role a "leftover")."""
        upcoming = [
            schedule
            for guild in self._client.guilds
            for schedule in await self.schedules.upcoming(guild.id, 0)
            if await self.tickets.offer(schedule.id) is not None
        ]
        live: list[tuple[ScheduledSpace, list[int]]] = []
        for space in await self.spaces.all_live():
            schedule = await self.schedules.of_live_space(space.id)
            if schedule is not None and await self.tickets.offer(schedule.id) is not None:
                live.append((schedule, [space.host_id, *space.cohosts]))
        now_live = {schedule.id for schedule, _ in live}
        return live, [schedule for schedule in upcoming if schedule.id not in now_live]

    # -- who may listen ---------------------------------------------------------------------------------------

    async def ticketed(self, space: Space) -> bool:
        """Read from the database, not from the gate's memory: right after a restart it must already hold."""
        schedule = await self.schedules.of_live_space(space.id)
        return schedule is not None and await self.tickets.offer(schedule.id) is not None

    async def may_attend(self, space: Space, user_id: int) -> bool:
        """Host, co-hosts, the Space's ticket holders and the server's moderators (for the web page's links)."""
        if user_id == space.host_id or user_id in space.cohosts:
            return True
        schedule = await self.schedules.of_live_space(space.id)
        if schedule is None or await self.tickets.is_holder(schedule.id, user_id):
            return True
        guild = self._client.get_guild(space.guild_id)
        member = guild.get_member(user_id) if guild is not None else None
        return member is not None and await self.gate.may_stay(member, schedule)

    # -- cards ------------------------------------------------------------------------------------------------

    def changed(self, schedule_id: str) -> None:
        self._redraw.mark(schedule_id)

    async def _redraw_cards(self, key: object) -> None:
        schedule = await self.schedules.get(str(key))
        await self._announcer.refresh_card(schedule)
        if schedule.state is ScheduleState.LIVE and schedule.live_space_id is not None:
            self._cards.mark(await self.spaces.get(schedule.live_space_id))
