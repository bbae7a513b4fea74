"""Ticketed Spaces wired for real: the store (SQLite or PostgreSQL), the real `stripe` SDK through StripeGateway
against `stripe_sandbox.LocalStripe`, and a webhook endpoint that does what the bot's route does (verify the
signature on the raw body, convert, `TicketService.apply`). Only the Discord side is a recording stand-in.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from pg_support import pg_uow_factory

from payments import StripeGateway, StripeTicketPayments, WebhookRejected, WebhookVerifier, to_payment_event
from spaces_core.bus import MessageBus
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.ticket_events import OfferChanged, OrderEvent, RefundFailed
from spaces_core.domain.tickets import Checkout, Order
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.payouts import PayoutService
from spaces_core.services.tickets import TicketService
from spaces_core.store.database import create_engine, make_uow_factory, migrate
from stripe_sandbox import LocalStripe

__all__ = [
    "GUILD",
    "HOST",
    "STORES",
    "StripeClock",
    "Told",
    "Wired",
    "add_schedule",
    "stopped_within",
    "store",
    "wait_until",
    "wired",
]

# Parametrise a `uows` fixture with these: every scenario runs on SQLite and on PostgreSQL.
STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

GUILD, STAGE = 900, 901
HOST = Actor(1)
BASE = "https://spaces.example"


class StripeClock:
    """Our clock, following the local Stripe server's (which tests move forward to expire Checkouts)."""

    def __init__(self, server: LocalStripe) -> None:
        self._server = server

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._server.now(), UTC)


class Told:
    """What the bot's ticket handlers would receive, recorded from a real bus: (event type, member, order id, link)
    for each order event, and the Spaces whose offer changed (their cards redrawn)."""

    def __init__(self) -> None:
        self.bus = MessageBus()
        self.said: list[tuple[type[OrderEvent], int, str, str | None]] = []
        self.failures: list[tuple[int, str, str | None]] = []  # (host told, order, why)
        self.offers_changed: list[str] = []
        self.bus.subscribe(OrderEvent, self._order_event)
        self.bus.subscribe(OfferChanged, self._offer_changed)

    async def _order_event(self, schedule: ScheduledSpace, event: OrderEvent) -> None:
        order = event.order
        if isinstance(event, RefundFailed):
            self.failures.append((schedule.host_id, order.id, order.refund_failure))
        self.said.append((type(event), order.user_id, order.id, order.checkout_url))

    async def _offer_changed(self, schedule: ScheduledSpace, event: OfferChanged) -> None:
        assert schedule.id == event.schedule_id
        self.offers_changed.append(event.schedule_id)

    def of(self, kind: type[OrderEvent]) -> list[int]:
        return [member for k, member, _, _ in self.said if k is kind]

    def links(self, kind: type[OrderEvent]) -> list[str | None]:
        return [link for k, _, _, link in self.said if k is kind]


@dataclass
class Wired:
    stripe: LocalStripe
    gateway: StripeGateway
    payments: StripeTicketPayments
    service: TicketService
    payouts: PayoutService
    told: Told
    uows: UnitOfWorkFactory
    outcomes: list[str] = field(default_factory=list)

    def new_service(self) -> TicketService:
        """Another process (a restart): same database and Stripe, nothing in memory."""
        return TicketService(self.uows, StripeClock(self.stripe), self.payments, self.told.bus)

    async def caught_up(self, service: TicketService | None = None) -> None:
        """Wait until the outbox worker has made every Stripe call owed (webhooks no longer wait for them)."""

        async def none_owed() -> bool:
            return await (service or self.service).owed() == 0

        await wait_until(none_owed, "the outbox worker to catch up")

    async def pay(self, checkout: Checkout, *, delayed: bool = False) -> None:
        session = self.stripe.objects("checkout.session")
        session_id = next(s["id"] for s in session if s["client_reference_id"] == checkout.order_id)
        await self.stripe.pay(session_id, delayed=delayed)

    def session_of(self, order_id: str) -> dict[str, object]:
        return next(s for s in self.stripe.objects("checkout.session") if s["client_reference_id"] == order_id)

    async def order(self, order_id: str) -> Order:
        async with self.uows() as uow:
            order = await uow.tickets.order(order_id)
        assert order is not None
        return order

    async def seats_taken(self, schedule_id: str) -> int:
        async with self.uows() as uow:
            offer = await uow.tickets.offer(schedule_id)
        assert offer is not None
        return offer.seats_taken


def payments_for(gateway: StripeGateway) -> StripeTicketPayments:
    return StripeTicketPayments(
        gateway,
        success_url=f"{BASE}/tickets/paid",
        cancel_url=f"{BASE}/tickets/cancelled",
        onboarding_return_url=f"{BASE}/payouts/done",
        onboarding_refresh_url=f"{BASE}/payouts/again",
    )


@asynccontextmanager
async def wired(uows: UnitOfWorkFactory) -> AsyncIterator[Wired]:
    async with LocalStripe() as server:
        gateway = StripeGateway(server.api_key, api_base=server.url, max_network_retries=0)
        payments = payments_for(gateway)
        told = Told()
        service = TicketService(uows, StripeClock(server), payments, told.bus)
        w = Wired(server, gateway, payments, service, PayoutService(uows, payments), told, uows)
        runner = await _webhook_endpoint(w, server)
        service.start()
        try:
            yield w
        finally:
            try:
                await stopped_within(w.service)
            finally:
                await runner.cleanup()
                await gateway.aclose()


async def stopped_within(service: TicketService, seconds: float = 30.0) -> None:
    """Stop the service's outbox worker, failing with a clear message if it doesn't end (instead of hanging the
    teardown until pytest-timeout). Not `asyncio.timeout`: its cancel would reach the worker through `stop()`
    and end it, hiding the very bug this guard is for."""
    stopping = asyncio.ensure_future(service.stop())
    done, _ = await asyncio.wait({stopping}, timeout=seconds)
    if not done:
        stopping.cancel()
        raise AssertionError(f"TicketService.stop() did not end its outbox worker within {seconds:.0f} s")
    stopping.result()


async def _webhook_endpoint(w: Wired, server: LocalStripe) -> web.AppRunner:
    verifier: list[WebhookVerifier] = []

    async def handle(request: web.Request) -> web.Response:
        try:
            event = to_payment_event(verifier[0].verify(await request.read(), request.headers.get("Stripe-Signature")))
        except WebhookRejected as error:
            return web.json_response({"error": error.message}, status=400)
        outcome = await w.service.apply(event)
        w.outcomes.append(outcome.value)
        return web.json_response({"outcome": outcome.value})

    app = web.Application()
    app.router.add_post("/stripe/webhook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    endpoint = server.add_webhook_endpoint(f"http://127.0.0.1:{runner.addresses[0][1]}/stripe/webhook")
    verifier.append(WebhookVerifier(endpoint.secret))
    return runner


async def wait_until(condition: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = 30.0) -> None:
    """Wait for something the background worker does (never a fixed sleep); fail with `what` after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if await result if inspect.isawaitable(result) else result:
            return
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def add_schedule(uows: UnitOfWorkFactory, now: datetime, *, schedule_id: str = "sched1") -> ScheduledSpace:
    schedule = ScheduledSpace.plan(
        schedule_id=schedule_id,
        guild_id=GUILD,
        channel_id=STAGE,
        host_id=HOST.user_id,
        title="Beat-making Q&A",
        topics="beats",
        starts_at=now + timedelta(days=1),
        now=now,
        policy=SchedulePolicy(),
        upcoming_of_host=0,
    )
    async with uows() as uow:
        await uow.schedules.add(schedule)
        await uow.commit()
    return schedule


@asynccontextmanager
async def store(kind: str, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/spaces.db"
        await migrate(url)
        engine = create_engine(url)
        try:
            yield make_uow_factory(engine)
        finally:
            await engine.dispose()
        return
    async with pg_uow_factory() as uow_factory:
        yield uow_factory
