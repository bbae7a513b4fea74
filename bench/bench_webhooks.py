"""Benchmark: Stripe webhook processing on PostgreSQL — signature check and exactly-once apply, per event.

Run: `.venv/bin/python -m bench.bench_webhooks [--orders N] [--spaces S] [--concurrency C] [--processes P]
[--duplicates F]`
(prints its figures; see docs/BENCHMARKS.md). Needs the PostgreSQL server at 127.0.0.1:5432 (database `test`);
works in a schema of its own, dropped at the end.

What is timed, per event: `payments.WebhookVerifier.verify` on the raw signed body (the SDK's HMAC check),
`payments.to_payment_event`, and `TicketService.apply` (event id claimed, order checked against the event,
conditional transition, ticket inserted or seat released, commit, post-commit effects). That is the webhook
route's whole work except aiohttp's own request handling. The orders are made through the store beforehand
(N pending orders across S Spaces); the events are what Stripe would send for them — `checkout.session.
completed` (paid) for 80 % of the orders, `checkout.session.expired` for the rest, plus a fraction of repeated
deliveries — signed beforehand with the SDK's `WebhookSignature.generate_signature_header` (Stripe signs on its
side), shuffled, and processed by C concurrent workers (Stripe delivers in parallel). Target from issue 5:
≥ 500 events/s sustained, p99 ≤ 50 ms per event. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import stripe

from payments import StripeGateway, StripeTicketPayments, WebhookVerifier, to_payment_event
from spaces_core.clock import SystemClock
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.tickets import CHECKOUT_LIFETIME, Order, OrderState, TicketOffer
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.tickets import TicketService
from spaces_core.store.database import create_engine, make_uow_factory, migrate
from stripe_sandbox import LocalStripe

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "whsec_bench_secret"
HOST = Actor(1)


class Quiet:
    """The Discord side replaced by counters (a DM per grant or expiry would be queued by the bot, not awaited)."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()

    async def _note(self, kind: str) -> None:
        self.count[kind] += 1

    async def granted(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._note("granted")

    async def refunded(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._note("refunded")

    async def waitlist_offer(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._note("waitlist_offer")

    async def checkout_expired(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._note("checkout_expired")

    async def payment_failed(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._note("payment_failed")

    async def keep_or_refund(self, order: Order, schedule: ScheduledSpace) -> None:
        await self._note("keep_or_refund")


@dataclass
class Signed:
    payload: bytes
    header: str


def _session_json(order: Order, status: str, now: int) -> dict[str, Any]:
    paid = status == "complete"
    return {
        "id": f"cs_test_{order.id}",
        "object": "checkout.session",
        "status": status,
        "payment_status": "paid" if paid else "unpaid",
        "amount_total": order.amount_cents,
        "currency": order.currency,
        "client_reference_id": order.id,
        "payment_intent": f"pi_{order.id}" if paid else None,
        "created": now,
        "expires_at": int(order.expires_at.timestamp()),
        "url": None,
        "metadata": {"order_id": order.id},
    }


def _sign(event: dict[str, Any]) -> Signed:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET, int(time.time()))
    return Signed(payload.encode(), header)


async def _prepare(uows: UnitOfWorkFactory, orders: int, spaces: int) -> list[Order]:
    now = datetime.now(UTC)
    made: list[Order] = []
    for s in range(spaces):
        schedule = ScheduledSpace.plan(
            schedule_id=f"bench{s}",
            guild_id=1,
            channel_id=2,
            host_id=HOST.user_id,
            title=f"Bench {s}",
            topics="",
            starts_at=now + timedelta(days=1),
            now=now,
            policy=SchedulePolicy(max_upcoming_per_host=spaces + 1),
            upcoming_of_host=0,
        )
        async with uows() as uow:
            await uow.schedules.add(schedule)
            await uow.commit()
    async with uows() as uow:
        for s in range(spaces):
            await uow.tickets.add_offer(TicketOffer(f"bench{s}", 1, HOST.user_id, 500, "usd"))
        await uow.commit()
    for start in range(0, orders, 500):
        async with uows() as uow:
            for n in range(start, min(orders, start + 500)):
                order = Order(
                    id=uuid.uuid4().hex,
                    schedule_id=f"bench{n % spaces}",
                    user_id=10_000 + n,
                    state=OrderState.PENDING,
                    amount_cents=500,
                    currency="usd",
                    created_at=now,
                    expires_at=now + CHECKOUT_LIFETIME,
                )
                assert await uow.tickets.take_seat(order.schedule_id)
                assert await uow.tickets.add_order(order)
                made.append(order)
            await uow.commit()
    return made


def _events(orders: list[Order], duplicates: float, rng: random.Random) -> list[Signed]:
    now = int(time.time())
    events = []
    for n, order in enumerate(orders):
        paid = n % 5 != 0  # 80 % paid, 20 % expired
        kind = "checkout.session.completed" if paid else "checkout.session.expired"
        session = _session_json(order, "complete" if paid else "expired", now)
        body = {
            "id": f"evt_{order.id}",
            "object": "event",
            "type": kind,
            "created": now,
            "data": {"object": session},
        }
        events.append(body)
    repeated = rng.sample(events, int(len(events) * duplicates))
    mixed = events + repeated
    rng.shuffle(mixed)
    return [_sign(e) for e in mixed]


async def _run(args: argparse.Namespace) -> None:
    rng = random.Random(5)
    schema = f"bench_webhooks_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_URL, timeout=5)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    connect_args = {"server_settings": {"search_path": schema}}
    try:
        await migrate(PG_URL, connect_args=connect_args)
        engine = create_engine(PG_URL, connect_args=connect_args)
        uows = make_uow_factory(engine)
        orders = await _prepare(uows, args.orders, args.spaces)
        signed = _events(orders, args.duplicates, rng)
        shares = [signed[n :: args.processes] for n in range(args.processes)]  # Stripe spreads deliveries too
        if args.processes == 1:
            results = [await _serve(connect_args, shares[0], args.concurrency, None)]
        else:
            results = _in_processes(connect_args, shares, args.concurrency)
        await _report(args, uows, orders, signed, results)
        await engine.dispose()
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


@dataclass
class Served:
    began: float  # time.monotonic(), comparable across processes on one machine
    ended: float
    cpu: float
    latencies: list[float]
    outcomes: Counter[str]
    told: Counter[str]


def _in_processes(connect_args: dict[str, Any], shares: list[list[Signed]], concurrency: int) -> list[Served]:
    """One webhook server per OS process (each its own engine and service), started together."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(shares))
        with ProcessPoolExecutor(len(shares), mp_context=context) as pool:
            futures = [pool.submit(_serve_in_process, connect_args, share, concurrency, barrier) for share in shares]
            return [future.result() for future in futures]


def _serve_in_process(connect_args: dict[str, Any], share: list[Signed], concurrency: int, barrier: Any) -> Served:
    return asyncio.run(_serve(connect_args, share, concurrency, barrier))


async def _serve(connect_args: dict[str, Any], share: list[Signed], concurrency: int, barrier: Any) -> Served:
    engine = create_engine(PG_URL, connect_args=connect_args)
    async with LocalStripe() as server:
        gateway = StripeGateway(server.api_key, api_base=server.url, max_network_retries=0)
        payments = StripeTicketPayments(
            gateway, success_url="x", cancel_url="x", onboarding_return_url="x", onboarding_refresh_url="x"
        )
        told = Quiet()
        service = TicketService(make_uow_factory(engine), SystemClock(), payments, told)
        verifier = WebhookVerifier(SECRET)
        if barrier is not None:
            await asyncio.to_thread(barrier.wait)
        served = await _process(service, verifier, share, concurrency)
        served.told = told.count
        await gateway.aclose()
    await engine.dispose()
    return served


async def _process(service: TicketService, verifier: WebhookVerifier, signed: list[Signed], concurrency: int) -> Served:
    queue: asyncio.Queue[Signed] = asyncio.Queue()
    for item in signed:
        queue.put_nowait(item)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()

    async def worker() -> None:
        while not queue.empty():
            item = queue.get_nowait()
            started = time.perf_counter()
            event = to_payment_event(verifier.verify(item.payload, item.header))
            outcome = await service.apply(event)
            latencies.append(time.perf_counter() - started)
            outcomes[outcome.value] += 1

    began, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Served(began, time.monotonic(), time.process_time() - cpu, latencies, outcomes, Counter())


async def _report(
    args: argparse.Namespace, uows: UnitOfWorkFactory, orders: list[Order], signed: list[Signed], results: list[Served]
) -> None:
    latencies = sorted(x for r in results for x in r.latencies)
    elapsed = max(r.ended for r in results) - min(r.began for r in results)
    outcomes: Counter[str] = sum((r.outcomes for r in results), Counter())
    told: Counter[str] = sum((r.told for r in results), Counter())

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    holders = 0
    for s in range(args.spaces):
        async with uows() as uow:
            holders += len(await uow.tickets.holders(f"bench{s}"))
    paid_expected = sum(1 for n in range(len(orders)) if n % 5 != 0)
    cpu = sum(r.cpu for r in results) * 1000 / len(signed)
    print(f"orders {len(orders)} over {args.spaces} Spaces; events {len(signed)} (with repeats)", end="; ")
    print(f"processes {args.processes} x workers {args.concurrency}")
    print(f"throughput  {len(signed) / elapsed:8.1f} events/s  ({elapsed:.2f} s; {cpu:.2f} ms CPU per event)")
    print(
        f"latency ms  p50 {pct(0.50):6.2f}  p90 {pct(0.90):6.2f}  p99 {pct(0.99):6.2f}  "
        f"max {latencies[-1] * 1000:6.2f}  mean {statistics.fmean(latencies) * 1000:6.2f}"
    )
    print(f"outcomes    {dict(outcomes)}")
    print(f"tickets     {holders} (expected {paid_expected}); told {dict(told)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--spaces", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent deliveries per process")
    parser.add_argument("--processes", type=int, default=1, help="webhook servers (OS processes), one database")
    parser.add_argument("--duplicates", type=float, default=0.1, help="fraction of events delivered twice")
    asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
