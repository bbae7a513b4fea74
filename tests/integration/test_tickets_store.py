"""The webhook path's repository calls on SQLite and PostgreSQL: the order read with its Space, a payment and its
ticket (one statement on PostgreSQL), a seat given back with the move that ends an order (one on PostgreSQL).
Both stores must give the same answers; the service-level scenarios are in test_tickets_payments/refunds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from tickets_support import HOST, add_schedule

from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.tickets import CHECKOUT_LIFETIME, Order, OrderState, RefundReason, TicketOffer
from spaces_core.ports import UnitOfWorkFactory

NOW = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)
FAN = 10


@pytest.fixture
async def schedule(uows: UnitOfWorkFactory) -> ScheduledSpace:
    made = await add_schedule(uows, NOW)
    async with uows() as uow:
        await uow.tickets.add_offer(TicketOffer(made.id, made.guild_id, HOST.user_id, 500, "usd", 3))
        await uow.commit()
    return made


async def _order(uows: UnitOfWorkFactory, order_id: str, member: int = FAN) -> Order:
    order = Order(order_id, "sched1", member, OrderState.PENDING, 500, "usd", NOW, NOW + CHECKOUT_LIFETIME)
    async with uows() as uow:
        assert await uow.tickets.take_seat("sched1")
        assert await uow.tickets.add_order(order)
        await uow.commit()
    return order


async def _seats_and_holders(uows: UnitOfWorkFactory) -> tuple[int, list[int]]:
    async with uows() as uow:
        offer = await uow.tickets.offer("sched1")
        assert offer is not None
        return offer.seats_taken, await uow.tickets.holders("sched1")


async def test_an_order_is_read_with_its_space(uows: UnitOfWorkFactory, schedule: ScheduledSpace):
    order = await _order(uows, "o1")

    async with uows() as uow:
        found = await uow.tickets.order_and_schedule("o1")
        alone = await uow.tickets.order("o1"), await uow.schedules.get("sched1")
        missing = await uow.tickets.order_and_schedule("nobody")

    assert found == alone == (order, schedule)
    assert missing is None


async def test_a_payment_inserts_its_ticket_once(uows: UnitOfWorkFactory, schedule: ScheduledSpace):
    order = await _order(uows, "o1")
    paid_at = NOW + timedelta(minutes=1)

    async with uows() as uow:
        settled = await uow.tickets.pay(order, paid_at, payment_intent="pi_1", paid_at=paid_at)
        again = await uow.tickets.pay(order, paid_at, payment_intent="pi_2", paid_at=paid_at)
        await uow.commit()

    assert settled == (dataclasses.replace(order, state=OrderState.PAID, payment_intent="pi_1", paid_at=paid_at), True)
    assert again is None  # already paid: nothing changed, no second ticket
    assert await _seats_and_holders(uows) == (1, [FAN])


async def test_a_payment_never_makes_a_second_ticket(uows: UnitOfWorkFactory, schedule: ScheduledSpace):
    first = await _order(uows, "o1")
    async with uows() as uow:  # a refund that gave the seat back but left the ticket (as no code path does)
        assert await uow.tickets.pay(first, NOW) is not None
        assert await uow.tickets.move(first, OrderState.REFUNDED, refund_reason=RefundReason.HOST) is not None
        await uow.commit()
    second = await _order(uows, "o2")

    async with uows() as uow:
        settled = await uow.tickets.pay(second, NOW)
        await uow.commit()

    assert settled is not None and settled[0].state is OrderState.PAID
    assert settled[1] is False  # the caller refunds it
    assert await _seats_and_holders(uows) == (1, [FAN])


async def test_an_expiry_gives_back_its_seat_once(uows: UnitOfWorkFactory, schedule: ScheduledSpace):
    orders = [await _order(uows, f"o{n}", FAN + n) for n in range(3)]

    async with uows() as uow:
        expired = await uow.tickets.move(orders[0], OrderState.EXPIRED)
        again = await uow.tickets.move(orders[0], OrderState.EXPIRED)
        failed = await uow.tickets.move(orders[1], OrderState.FAILED, payment_intent="pi_x")
        await uow.commit()

    assert expired is not None and (expired.state, expired.seat) == (OrderState.EXPIRED, False)
    assert again is None
    assert failed is not None
    assert (failed.state, failed.seat, failed.payment_intent) == (OrderState.FAILED, False, "pi_x")
    assert await _seats_and_holders(uows) == (1, [])


async def test_a_refund_without_a_seat_leaves_the_count(uows: UnitOfWorkFactory, schedule: ScheduledSpace):
    late = await _order(uows, "o1")
    await _order(uows, "o2", FAN + 1)
    async with uows() as uow:  # expired (seat back), then paid after all: refund_due with no seat
        assert await uow.tickets.move(late, OrderState.EXPIRED) is not None
        due = await uow.tickets.move(late, OrderState.REFUND_DUE, refund_reason=RefundReason.LATE)
        await uow.commit()
    assert due is not None and not due.seat
    assert (await _seats_and_holders(uows))[0] == 1

    async with uows() as uow:
        refunded = await uow.tickets.move(due, OrderState.REFUNDED, refunded_at=NOW)
        await uow.commit()

    assert refunded is not None and refunded.state is OrderState.REFUNDED
    assert (await _seats_and_holders(uows))[0] == 1  # o2's seat stays counted
