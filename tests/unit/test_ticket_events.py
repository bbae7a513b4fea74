"""Ticket events after a commit: one batch per Space on the bus, in the order recorded, and a handler's failure
never reaches the request that committed (a Stripe webhook must still be answered 200)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spaces_core.bus import MessageBus
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.ticket_events import OfferChanged, TicketEvent, TicketGranted, TicketRefunded
from spaces_core.domain.tickets import Order, OrderState
from spaces_core.services.tickets.core import AfterCommit, TicketCore
from tests.fakes import FakeClock, FakeDatabase
from tests.unit.builders import NOW


def _schedule(schedule_id: str) -> ScheduledSpace:
    return ScheduledSpace.plan(
        schedule_id=schedule_id,
        guild_id=900,
        channel_id=901,
        host_id=1,
        title="Beat-making Q&A",
        topics="",
        starts_at=NOW + timedelta(days=1),
        now=NOW,
        policy=SchedulePolicy(),
        upcoming_of_host=0,
    )


def _order(order_id: str, schedule_id: str) -> Order:
    return Order(order_id, schedule_id, 10, OrderState.PAID, 500, "usd", NOW, NOW + timedelta(minutes=31))


class Journal:
    def __init__(self, bus: MessageBus) -> None:
        self.batches: list[tuple[str, list[TicketEvent]]] = []
        bus.each_batch(ScheduledSpace, self.batch)

    async def batch(self, schedule: ScheduledSpace, events: object) -> None:
        self.batches.append((schedule.id, list(events)))  # type: ignore[call-overload]


def _core(bus: MessageBus) -> tuple[TicketCore, list[str]]:
    woken: list[str] = []
    core = TicketCore(FakeDatabase().uow, FakeClock(), payments=None, bus=bus, id_factory=lambda: "o")  # type: ignore[arg-type]
    core.wake = lambda: woken.append("woken")
    return core, woken


async def test_a_transactions_events_go_out_as_one_batch_per_space_in_the_order_recorded() -> None:
    bus = MessageBus()
    journal = Journal(bus)
    core, woken = _core(bus)
    first, second = _schedule("s1"), _schedule("s2")
    effects = AfterCommit()
    granted, refunded, other = TicketGranted(_order("o1", "s1")), TicketRefunded(_order("o2", "s1")), OfferChanged("s2")
    effects.record(granted, first)
    effects.record(refunded, first)
    effects.record(other, second)

    await core.after(effects)

    assert journal.batches == [("s1", [granted, refunded]), ("s2", [other])]
    assert effects.events == [] and woken == ["woken"]  # told once; the worker woken for the calls owed
    await core.after(effects)
    assert len(journal.batches) == 2


async def test_a_failing_handler_the_caller_would_hear_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    bus = MessageBus()

    async def refused(schedule: ScheduledSpace, event: TicketGranted) -> None:
        raise RuntimeError("Discord said 403")

    bus.subscribe(TicketGranted, refused, propagate=True)
    journal = Journal(bus)
    core, woken = _core(bus)
    effects = AfterCommit()
    effects.record(TicketGranted(_order("o1", "s1")), _schedule("s1"))

    await core.after(effects)  # does not raise: what was committed stands

    assert len(journal.batches) == 1 and woken == ["woken"]
    assert "Discord said 403" in caplog.text
