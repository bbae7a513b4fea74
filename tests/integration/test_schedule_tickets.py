"""The ticket rules of a scheduled Space's life, on the message bus (`spaces_core.services.schedule_tickets`), with
the real store and the real stripe SDK against the local Stripe server: the ScheduleService publishes, the
Discord side (a recording handler) hears it first, then the rules run as owned background work — a cancel
refunds every holder and only then says so (`ScheduleTicketsRefunded`: the role may go), a reschedule asks
each holder Keep or Refund."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from tickets_support import HOST, StripeClock, Wired, wired

from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.schedule_events import ScheduleTicketsRefunded
from spaces_core.domain.space import Space
from spaces_core.domain.ticket_events import KeepOrRefundAsked, TicketRefunded
from spaces_core.domain.tickets import Checkout, RefundReason
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services import schedule_tickets
from spaces_core.services.schedules import ScheduleService
from tests.announcer_fake import Announced
from tests.unit.schedule_support import FakePlanner

A, B = 10, 11
GUILD, STAGE = 900, 901


class Owner:
    """The bot's ticket desk as the rules see it: work handed over is held until the test runs it."""

    def __init__(self) -> None:
        self.work: list[tuple[str, Coroutine[Any, Any, object]]] = []

    def __call__(self, work: Coroutine[Any, Any, object], name: str) -> None:
        self.work.append((name, work))

    async def run(self) -> list[str]:
        names = []
        while self.work:
            name, work = self.work.pop(0)
            await work
            names.append(name)
        return names


class Setup:
    def __init__(self, w: Wired) -> None:
        self.w = w
        self.announced = Announced()
        self.owner = Owner()
        self.refunds_when_told: list[int] = []  # Stripe refunds made when ScheduleTicketsRefunded was published
        self.schedules = ScheduleService(w.uows, StripeClock(w.stripe), FakePlanner(), self.announced.bus, _no_live)
        self.announced.record_event = self.schedules.record_discord_event
        schedule_tickets.register(self.announced.bus, w.service, self.owner)
        self.announced.bus.subscribe(ScheduleTicketsRefunded, self._refunded)

    async def _refunded(self, schedule: ScheduledSpace, event: ScheduleTicketsRefunded) -> None:
        self.refunds_when_told.append(len(self.w.stripe.objects("refund")))

    async def schedule(self, *, price: int | None) -> ScheduledSpace:
        planned = await self.schedules.schedule(
            guild_id=GUILD, channel_id=STAGE, actor=HOST, title="Beat-making Q&A", topics="beats", when="in 2 days"
        )
        if price is not None:
            await self.w.service.set_offer(actor=HOST, schedule_id=planned.id, price=price, quantity=None)
        return planned

    async def holder(self, schedule_id: str, member: int) -> None:
        bought = await self.w.service.buy(schedule_id=schedule_id, user_id=member)
        assert isinstance(bought, Checkout)
        await self.w.pay(bought)


async def _no_live(schedule: ScheduledSpace, actor: Actor) -> Space:
    raise AssertionError("not started in these tests")


@pytest.fixture
async def s(uows: UnitOfWorkFactory) -> AsyncIterator[Setup]:
    async with wired(uows) as world:
        yield Setup(world)


async def test_cancel_tells_discord_first_then_refunds_everyone_in_the_background_then_says_so(s: Setup):
    planned = await s.schedule(price=5)
    for member in (A, B):
        await s.holder(planned.id, member)

    await s.schedules.cancel(actor=HOST)
    assert s.announced.kinds(planned.id) == ["scheduled", "cancelled"]
    assert s.w.stripe.objects("refund") == [] and s.w.told.of(TicketRefunded) == []  # the command did not wait

    assert await s.owner.run() == [f"refund-all {planned.id}"]
    assert sorted(s.w.told.of(TicketRefunded)) == [A, B]
    assert await s.w.service.holders(planned.id) == []
    assert s.announced.kinds(planned.id) == ["scheduled", "cancelled", "tickets_refunded"]
    assert s.refunds_when_told == [2]  # the role goes only once every ticket is refunded
    orders = [await s.w.order(o.id) for o in await _orders(s, planned.id)]
    assert {o.refund_reason for o in orders} == {RefundReason.CANCELLED}


async def test_an_unticketed_space_cancelled_refunds_nothing_and_keeps_no_role_to_delete(s: Setup):
    planned = await s.schedule(price=None)
    await s.schedules.cancel(actor=HOST)
    await s.owner.run()
    assert s.announced.kinds(planned.id) == ["scheduled", "cancelled"]
    assert s.w.stripe.objects("refund") == [] and s.refunds_when_told == []


async def test_reschedule_asks_every_holder_keep_or_refund_after_discord_heard(s: Setup):
    planned = await s.schedule(price=7)
    for member in (A, B):
        await s.holder(planned.id, member)

    await s.schedules.reschedule(actor=HOST, when="in 3 days")
    assert s.announced.kinds(planned.id) == ["scheduled", "rescheduled"] and s.w.told.of(KeepOrRefundAsked) == []
    assert await s.owner.run() == [f"keep-or-refund {planned.id}"]
    assert sorted(s.w.told.of(KeepOrRefundAsked)) == [A, B]
    assert s.w.stripe.objects("refund") == []  # asking refunds nobody


async def _orders(s: Setup, schedule_id: str) -> list[Any]:
    async with s.w.uows() as uow:
        return await uow.tickets.orders(schedule_id=schedule_id)
