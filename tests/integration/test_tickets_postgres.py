"""Ticket races on PostgreSQL (production's database), with two "processes" (two engines, each its own pool and
service) and the real stripe SDK against the local Stripe server: 200 members buying 50 seats at once, all the
payments' webhooks delivered concurrently and twice, and one event applied five times at the same instant."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pg_support import PG_URL, pg_schema
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tickets_support import HOST, StripeClock, Told, add_schedule, payments_for

from payments import StripeEvent, StripeGateway, to_payment_event
from spaces_core.domain.payment_events import EventOutcome
from spaces_core.domain.ticket_events import TicketGranted, TicketRefunded, WaitlistOffered
from spaces_core.domain.tickets import Checkout, OrderState, Waitlisted
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.tickets import TicketService
from spaces_core.store.database import create_engine, make_uow_factory
from stripe_sandbox import LocalStripe

pytestmark = pytest.mark.postgres

SEATS, BUYERS = 50, 200


class Shop:
    def __init__(self, stripe: LocalStripe, engines: list[AsyncEngine], services: list[TicketService], told: Told):
        self.stripe, self.engines, self.services, self.told = stripe, engines, services, told
        self.uows: UnitOfWorkFactory = make_uow_factory(engines[0])

    def service(self, n: int) -> TicketService:
        """Alternate between the two processes."""
        return self.services[n % len(self.services)]

    async def count(self, sql: str) -> Any:
        """The stored truth, read with plain SQL."""
        async with self.engines[0].connect() as connection:
            return (await connection.execute(text(sql))).scalar_one()


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async with pg_schema() as schema, LocalStripe() as server:
        engines = [create_engine(PG_URL, connect_args=schema.connect_args) for _ in range(2)]
        gateway = StripeGateway(server.api_key, api_base=server.url, max_network_retries=0)
        told = Told()
        services = [
            TicketService(make_uow_factory(e), StripeClock(server), payments_for(gateway), told.bus) for e in engines
        ]
        server.automatic_delivery = False  # the test delivers events itself, concurrently
        try:
            await add_schedule(make_uow_factory(engines[0]), StripeClock(server).now())
            await services[0].set_offer(actor=HOST, schedule_id="sched1", price=5, quantity=SEATS)
            yield Shop(server, engines, services, told)
        finally:
            await gateway.aclose()
            for engine in engines:
                await engine.dispose()


async def test_200_members_buying_50_seats_at_once(shop: Shop):
    members = [1000 + n for n in range(BUYERS)]

    results = await asyncio.gather(
        *(shop.service(n).buy(schedule_id="sched1", user_id=m) for n, m in enumerate(members)),
        return_exceptions=True,
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    checkouts = [r for r in results if isinstance(r, Checkout)]
    waiting = [r for r in results if isinstance(r, Waitlisted)]
    assert (len(checkouts), len(waiting)) == (SEATS, BUYERS - SEATS)
    offer = await shop.services[0].offer("sched1")
    assert offer is not None and offer.seats_taken == SEATS
    assert await shop.count("SELECT count(*) FROM ticket_orders WHERE seat") == SEATS
    assert await shop.count("SELECT count(*) FROM ticket_waitlist") == BUYERS - SEATS
    assert len(shop.stripe.objects("checkout.session")) == SEATS

    for session in shop.stripe.objects("checkout.session"):
        await shop.stripe.pay(session["id"])
    completed = shop.stripe.events("checkout.session.completed")
    assert len(completed) == SEATS
    events = [to_payment_event(StripeEvent.from_json(e)) for e in completed]
    outcomes = await asyncio.gather(*(shop.service(n).apply(e) for n, e in enumerate(events + events)))

    assert Counter(outcomes) == {EventOutcome.APPLIED: SEATS, EventOutcome.DUPLICATE: SEATS}
    holders = await shop.services[1].holders("sched1")
    assert len(holders) == SEATS == len(set(holders))
    assert sorted(holders) == sorted(m for m, r in zip(members, results, strict=True) if isinstance(r, Checkout))
    assert await shop.count("SELECT count(*) FROM tickets") == SEATS
    assert await shop.count(f"SELECT count(*) FROM ticket_orders WHERE state = '{OrderState.PAID}'") == SEATS
    assert Counter(shop.told.of(TicketGranted)) == Counter(holders)  # each told once: no double grant anywhere
    offer = await shop.services[0].offer("sched1")
    assert offer is not None and offer.seats_taken == SEATS


async def test_one_event_applied_five_times_at_once(shop: Shop):
    bought = await shop.services[0].buy(schedule_id="sched1", user_id=7)
    assert isinstance(bought, Checkout)
    session = next(s for s in shop.stripe.objects("checkout.session") if s["client_reference_id"] == bought.order_id)
    await shop.stripe.pay(session["id"])
    event = to_payment_event(StripeEvent.from_json(shop.stripe.events("checkout.session.completed")[0]))

    outcomes = await asyncio.gather(*(shop.service(n).apply(event) for n in range(5)))

    assert sorted(outcomes) == sorted([EventOutcome.APPLIED] + [EventOutcome.DUPLICATE] * 4)
    assert await shop.services[0].holders("sched1") == [7]
    assert shop.told.of(TicketGranted) == [7]
    assert await shop.count("SELECT count(*) FROM payment_events") == 1


async def test_concurrent_expiries_and_refunds_release_each_seat_once(shop: Shop):
    """Half the buyers let their Checkout expire, the others pay and are refunded by the host, all at once: each
    seat comes back exactly once and goes to the waitlist, in order."""
    members = [2000 + n for n in range(SEATS)]
    for n, member in enumerate(members):
        assert isinstance(await shop.service(n).buy(schedule_id="sched1", user_id=member), Checkout)
    late = [3000 + n for n in range(10)]
    for member in late:
        assert isinstance(await shop.services[0].buy(schedule_id="sched1", user_id=member), Waitlisted)
    sessions = {s["client_reference_id"]: s["id"] for s in shop.stripe.objects("checkout.session")}
    async with shop.uows() as uow:
        orders = {o.user_id: o for o in await uow.tickets.orders(schedule_id="sched1")}
    payers, expirers = members[::2], members[1::2]
    for member in payers:
        await shop.stripe.pay(sessions[orders[member].id])
    for member in expirers:
        await shop.stripe.expire(sessions[orders[member].id])
    events = [to_payment_event(StripeEvent.from_json(e)) for e in shop.stripe.events()]
    await asyncio.gather(*(shop.service(n).apply(e) for n, e in enumerate(events)))

    await asyncio.gather(
        *(shop.service(n).refund_member(actor=HOST, schedule_id="sched1", user_id=m) for n, m in enumerate(payers))
    )
    refunds = shop.stripe.events("refund.created")  # each refund's own event, applied concurrently
    refunded = [to_payment_event(StripeEvent.from_json(e)) for e in refunds]
    await asyncio.gather(*(shop.service(n).apply(e) for n, e in enumerate(refunded)))

    assert len(shop.stripe.objects("refund")) == len(payers)
    assert sorted(shop.told.of(TicketRefunded)) == sorted(payers)
    offers = shop.told.of(WaitlistOffered)
    assert sorted(offers) == late and len(offers) == len(set(offers))  # each waiting member offered once
    offer = await shop.services[0].offer("sched1")
    assert offer is not None and offer.seats_taken == len(late)  # the 10 offers hold seats, nothing else
    assert await shop.count("SELECT count(*) FROM ticket_orders WHERE seat") == len(late)


async def test_two_processes_drain_the_outbox_each_refund_asked_once(shop: Shop):
    """Twenty payments arrive for a Space cancelled meanwhile: each webhook owes a refund. Both processes' workers
    drain the outbox at once (and a reconciliation on top): every refund is asked of Stripe exactly once."""
    members = [4000 + n for n in range(20)]
    bought = [await shop.service(n).buy(schedule_id="sched1", user_id=m) for n, m in enumerate(members)]
    assert all(isinstance(b, Checkout) for b in bought)
    async with shop.engines[0].begin() as connection:
        await connection.execute(text("UPDATE scheduled_spaces SET state = 'cancelled' WHERE id = 'sched1'"))
    for session in shop.stripe.objects("checkout.session"):
        await shop.stripe.pay(session["id"])
    completed = [to_payment_event(StripeEvent.from_json(e)) for e in shop.stripe.events("checkout.session.completed")]
    await asyncio.gather(*(shop.service(n).apply(e) for n, e in enumerate(completed)))
    assert await shop.services[0].owed() == len(members)

    for service in shop.services:
        service.start()
    try:
        await asyncio.gather(shop.services[0].drain(), shop.services[1].drain(), shop.services[1].reconcile())
        while await shop.services[0].owed():
            await asyncio.sleep(0.02)
    finally:
        for service in shop.services:
            await service.stop()

    assert len(shop.stripe.objects("refund")) == len(members)
    assert [k for k in shop.stripe.replayed_keys if k.startswith("refund-")] == []  # no refund asked twice
    assert sorted(shop.told.of(TicketRefunded)) == members
    assert await shop.count("SELECT count(*) FROM ticket_orders WHERE state = 'refunded'") == len(members)
