"""Host analytics: what the sampler stores while a Space runs, the hands' waits, and the chart's data for the
Space's host, co-hosts and the server's admins (nobody else: `NotAllowed`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from spaces_core.domain.errors import NotAllowed, NotFound
from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space
from spaces_core.domain.stats import HostedSpace, StatsChart, StatsSample, TicketFigures, chart_of
from spaces_core.domain.ticket_sales import SalesReport
from spaces_core.ports import Clock, UnitOfWork, UnitOfWorkFactory

__all__ = ["HISTORY_LIMIT", "StatsService", "StatsView", "may_see_stats"]

HISTORY_LIMIT = 25  # a page's worth of past Spaces; also what an autocomplete can offer
REFUSED = "Only the host and co-hosts of that Space, or the server's admins, can see its stats."


def may_see_stats(space: Space, actor: Actor) -> bool:
    return actor.is_admin or actor.user_id in (space.host_id, space.original_host_id, *space.cohosts)


@dataclass(frozen=True, slots=True)
class StatsView:
    space: Space
    chart: StatsChart


class StatsService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def record(self, space_id: str, sample: StatsSample | None, talk_ms: Mapping[int, int]) -> int:
        """Store a sample (None: this tick's is not kept) and add the talk time since the last one; returns how
        many samples the Space has stored."""
        async with self._uow_factory() as uow:
            if sample is not None:
                await uow.stats.add_sample(space_id, sample)
            if talk_ms:
                await uow.stats.add_talk(space_id, talk_ms)
            count = await uow.stats.count_samples(space_id)
            await uow.commit()
        return count

    async def thin(self, space_id: str) -> int:
        async with self._uow_factory() as uow:
            dropped = await uow.stats.thin_samples(space_id)
            await uow.commit()
        return dropped

    async def stored(self, space_id: str) -> int:
        async with self._uow_factory() as uow:
            return await uow.stats.count_samples(space_id)

    async def hand_raised(self, space_id: str, user_id: int) -> None:
        async with self._uow_factory() as uow:
            await uow.stats.hand_raised(space_id, user_id, self._clock.now())
            await uow.commit()

    async def hand_lowered(self, space_id: str, user_id: int, outcome: str) -> None:
        async with self._uow_factory() as uow:
            await uow.stats.hand_lowered(space_id, user_id, self._clock.now(), outcome)
            await uow.commit()

    async def view(self, space_id: str, actor: Actor, guild_id: int) -> StatsView:
        """The chart's data, for those who may see it; anyone else gets `NotAllowed` in plain words."""
        return await self._view(space_id, lambda space: space.guild_id == guild_id, actor)

    async def view_linked(self, space_id: str) -> StatsView:
        """The chart's data behind a signed stats link: `/space stats` checked the member when it gave the link,
        and the signature ties it to this Space and that member until it expires."""
        return await self._view(space_id, lambda space: True, None)

    async def _view(self, space_id: str, here: Callable[[Space], bool], actor: Actor | None) -> StatsView:
        async with self._uow_factory() as uow:
            space = await uow.spaces.get(space_id)
            if space is None or not here(space) or space.started_at is None:
                raise NotFound("I can't find that Space here: pick one of yours from the list.")
            if actor is not None and not may_see_stats(space, actor):
                raise NotAllowed(REFUSED)
            samples = await uow.stats.samples(space_id)
            talk = await uow.stats.talk(space_id)
            waits = await uow.stats.waits(space_id)
            tickets = await _ticket_figures(uow, space_id)
        return StatsView(space, chart_of(space.title, space.started_at, samples, talk, waits, tickets))

    async def spaces_of(self, guild_id: int, actor: Actor, *, limit: int = HISTORY_LIMIT) -> list[Space]:
        """The Spaces whose stats this member may see here, newest first (admins: all of the server's)."""
        async with self._uow_factory() as uow:
            return await uow.stats.spaces_of(guild_id, None if actor.is_admin else actor.user_id, limit)

    async def history(self, guild_id: int, user_id: int) -> list[HostedSpace]:
        """The member's own past and live Spaces here (hosted or co-hosted), newest first."""
        async with self._uow_factory() as uow:
            spaces = await uow.stats.spaces_of(guild_id, user_id, HISTORY_LIMIT)
        return [
            HostedSpace(s.id, s.title, s.started_at, s.ended_at, s.peak_listeners)
            for s in spaces
            if s.started_at is not None
        ]


async def _ticket_figures(uow: UnitOfWork, space_id: str) -> TicketFigures | None:
    schedule = await uow.schedules.by_live_space(space_id)
    offer = await uow.tickets.offer(schedule.id) if schedule is not None else None
    if schedule is None or offer is None:
        return None
    report = SalesReport.of(schedule.id, await uow.tickets.orders(schedule_id=schedule.id), offer.currency)
    return TicketFigures(sold=report.sold, revenue=report.label(report.net_cents))
