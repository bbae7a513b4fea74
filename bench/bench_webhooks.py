"""Benchmark: Stripe webhook processing on PostgreSQL — signature check and exactly-once apply, per event.

Run: `.venv/bin/python -m bench.bench_webhooks [--path direct|http] [--rate R | --concurrency C] [--processes P]
[--orders N] [--spaces S] [--duplicates F] [--log] [--gc freeze|collect]`
(prints its figures; see docs/BENCHMARKS.md). Needs the PostgreSQL server at 127.0.0.1:5432 (database `test`);
works in a schema of its own, dropped at the end.

The orders are made through the store beforehand (N pending orders across S Spaces); the events are what Stripe
would send for them — `checkout.session.completed` (paid) for 80 % of the orders, `checkout.session.expired` for
the rest, plus a fraction of repeated deliveries — signed beforehand with the SDK's
`WebhookSignature.generate_signature_header` (Stripe signs on its side), shuffled.

`--path direct` times, per event, what the webhook route does apart from HTTP: `payments.WebhookVerifier.verify`
on the raw signed body, `payments.to_payment_event` and `TicketService.apply` (order checked against the event,
conditional transition, ticket inserted or seat released, event id recorded, commit, the notifier called), in P
processes. `--path http` runs the bot's own route (`bot.web.stripe_webhook.StripeWebhook`) on aiohttp in P server
processes (one port, SO_REUSEPORT) and POSTs the events from this process over kept-alive loopback connections,
timing each request at the client (a bare HTTP/1.1 client: it shares the two cores); `--log` makes the servers
log at INFO to a file, as the bot does. Each serving process starts from a collected heap and reports its full
garbage collections (each one stops its event loop).

Load: closed loop by default (C deliveries in flight per process, or C connections for http); `--rate R` is an
open loop instead: one delivery every 1/R s whatever happens, each latency counted from its due time, so a server
that falls behind shows it (Stripe does not wait for us either). Target from issue 5: ≥ 500 events/s sustained,
p99 ≤ 50 ms per event. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import stripe

from bench.webhook_serving import (
    GC_MODE_VARIABLE,
    PG_URL,
    SECRET,
    Served,
    Signed,
    direct_sender,
    drive,
    http_sender,
    serve_http,
    webhook_apply,
)
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.tickets import CHECKOUT_LIFETIME, Order, OrderState, TicketOffer
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.store.database import create_engine, make_uow_factory, migrate

HOST = Actor(1)


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
        if args.path == "http":
            client, servers = await _over_http(args, connect_args, signed)
            await _report(args, uows, orders, signed, [client], servers)
        else:
            results = await _direct(args, connect_args, signed)
            await _report(args, uows, orders, signed, results, results)
        await engine.dispose()
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


async def _direct(args: argparse.Namespace, connect_args: dict[str, Any], signed: list[Signed]) -> list[Served]:
    shares = [signed[n :: args.processes] for n in range(args.processes)]  # Stripe spreads deliveries too
    rate = args.rate / args.processes if args.rate else None
    if args.processes == 1:
        return [await _serve_direct(connect_args, shares[0], args.concurrency, rate, None)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(len(shares))
        with ProcessPoolExecutor(len(shares), mp_context=context) as pool:
            futures = [
                pool.submit(_serve_direct_in_process, connect_args, share, args.concurrency, rate, barrier)
                for share in shares
            ]
            return [future.result() for future in futures]


def _serve_direct_in_process(
    connect_args: dict[str, Any], share: list[Signed], concurrency: int, rate: float | None, barrier: Any
) -> Served:
    return asyncio.run(_serve_direct(connect_args, share, concurrency, rate, barrier))


async def _serve_direct(
    connect_args: dict[str, Any], share: list[Signed], concurrency: int, rate: float | None, barrier: Any
) -> Served:
    async with webhook_apply(connect_args) as (apply, told):
        if barrier is not None:
            await asyncio.to_thread(barrier.wait)
        served = await drive(direct_sender(apply), share, concurrency=concurrency, rate=rate)
        served.told = told.count
    return served


async def _over_http(
    args: argparse.Namespace, connect_args: dict[str, Any], signed: list[Signed]
) -> tuple[Served, list[Served]]:
    """P server processes on one port; this process is Stripe. Returns (the client's view, the servers')."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_file = tempfile.mkstemp(prefix="bench_webhooks_", suffix=".log")[1] if args.log else None
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        ready, stop = manager.Queue(), manager.Event()
        with ProcessPoolExecutor(args.processes, mp_context=context) as pool:
            futures = [
                pool.submit(_serve_http_in_process, connect_args, port, args.processes > 1, ready, stop, log_file)
                for _ in range(args.processes)
            ]
            try:
                for _ in futures:
                    await asyncio.to_thread(ready.get, True, 60)
                connections = args.concurrency * args.processes if args.rate is None else 100
                async with http_sender(port, connections) as send:
                    client = await drive(send, signed, concurrency=connections, rate=args.rate)
            finally:
                stop.set()
            servers = [future.result() for future in futures]
    if log_file:
        print(f"server log: {log_file}")
    return client, servers


def _serve_http_in_process(
    connect_args: dict[str, Any], port: int, reuse_port: bool, ready: Any, stop: Any, log_file: str | None
) -> Served:
    return asyncio.run(serve_http(connect_args, port, reuse_port, ready, stop, log_file))


async def _report(
    args: argparse.Namespace,
    uows: UnitOfWorkFactory,
    orders: list[Order],
    signed: list[Signed],
    timed: list[Served],
    servers: list[Served],
) -> None:
    """`timed`: who measured the latencies (the serving processes, or the HTTP client); `servers`: the CPU and
    the notifications of the processes that applied the events."""
    latencies = sorted(x for r in timed for x in r.latencies)
    elapsed = max(r.ended for r in timed) - min(r.began for r in timed)
    outcomes: Counter[str] = sum((r.outcomes for r in timed), Counter())
    told: Counter[str] = sum((r.told for r in servers), Counter())

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    holders = 0
    for s in range(args.spaces):
        async with uows() as uow:
            holders += len(await uow.tickets.holders(f"bench{s}"))
    paid_expected = sum(1 for n in range(len(orders)) if n % 5 != 0)
    load = f"rate {args.rate:g}/s (open loop)" if args.rate else f"{args.concurrency} in flight per process"
    print(f"orders {len(orders)} over {args.spaces} Spaces; events {len(signed)} (with repeats)", end="; ")
    print(f"path {args.path}; processes {args.processes}; {load}")
    cpu = f"{sum(r.cpu for r in servers) * 1000 / len(signed):.2f} ms CPU per event (server)"
    if args.path == "http":
        cpu += f", {timed[0].cpu * 1000 / len(signed):.2f} ms (client)"
    print(f"throughput  {len(signed) / elapsed:8.1f} events/s  ({elapsed:.2f} s; {cpu})")
    print(
        f"latency ms  p50 {pct(0.50):6.2f}  p90 {pct(0.90):6.2f}  p99 {pct(0.99):6.2f}  "
        f"max {latencies[-1] * 1000:6.2f}  mean {statistics.fmean(latencies) * 1000:6.2f}"
    )
    print(f"outcomes    {dict(outcomes)}; errors {sum(r.errors for r in timed)}")
    print(f"tickets     {holders} (expected {paid_expected}); told {dict(told)}")
    pauses = [p * 1000 for r in servers for p in r.full_gc]
    print(f"full GCs    {len(pauses)} in the serving processes, longest {max(pauses, default=0):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--path", choices=("direct", "http"), default="direct")
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--spaces", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=8, help="deliveries in flight per process (closed loop)")
    parser.add_argument("--rate", type=float, default=None, help="events per second, open loop (all processes)")
    parser.add_argument("--processes", type=int, default=1, help="webhook servers (OS processes), one database")
    parser.add_argument("--duplicates", type=float, default=0.1, help="fraction of events delivered twice")
    parser.add_argument("--log", action="store_true", help="http: servers log at INFO to a file, as the bot does")
    parser.add_argument(
        "--gc",
        choices=("freeze", "collect"),
        default="freeze",
        help="serving processes start with their heap frozen, as the bot does (bot/heap.py), or only collected",
    )
    args = parser.parse_args()
    os.environ[GC_MODE_VARIABLE] = args.gc  # before any serving process is spawned: they inherit it
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
