"""The serving side of `bench_webhooks`: the webhook work as the bot wires it, run in-process or behind the bot's
own aiohttp route, and the load that drives it (closed loop: C deliveries in flight; open loop: a fixed rate).

Kept apart from the benchmark's set-up and report so each file says one thing.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.heap import freeze_startup_heap
from bot.web.stripe_webhook import WEBHOOK_PATH, StripeWebhook
from payments import StripeEvent, StripeGateway, StripeTicketPayments, WebhookVerifier, to_payment_event
from spaces_core.bus import MessageBus
from spaces_core.clock import SystemClock
from spaces_core.domain.schedule import ScheduledSpace
from spaces_core.domain.ticket_events import TicketEvent
from spaces_core.services.tickets import TicketService
from spaces_core.store.database import create_engine, make_uow_factory
from stripe_sandbox import LocalStripe

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "whsec_bench_secret"
# The signatures are made before the run (Stripe signs on its side); a long run must not turn them stale. The
# tolerance is one comparison: the signature check itself is the same as the bot's.
TOLERANCE = 3600

ApplyEvent = Callable[[StripeEvent], Awaitable[str]]
Send = Callable[["Signed"], Awaitable[str]]


@dataclass
class Signed:
    payload: bytes
    header: str


@dataclass
class Served:
    """What one serving process (or the HTTP client) saw. `began`/`ended` are time.monotonic(), comparable across
    processes on one machine; `cpu` is the process's CPU time over the run."""

    began: float = 0.0
    ended: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    told: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    full_gc: list[float] = field(default_factory=list)  # seconds each full (generation 2) collection stopped the loop


class FullCollections:
    """Times the garbage collector's full collections while active: each one stops the event loop for as long
    as it takes to walk every tracked object of the process, and deliveries queue meanwhile."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __enter__(self) -> list[float]:
        gc.callbacks.append(self._callback)
        return self.pauses

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


class Quiet:
    """The Discord side replaced by counters on the bus (a DM per grant or expiry would be queued by the bot, not
    awaited): how many ticket events of each type were published."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.bus = MessageBus()
        self.bus.subscribe(TicketEvent, self._note)

    async def _note(self, schedule: ScheduledSpace, event: TicketEvent) -> None:
        self.count[type(event).__name__] += 1


@asynccontextmanager
async def webhook_apply(connect_args: dict[str, Any]) -> AsyncIterator[tuple[ApplyEvent, Quiet]]:
    """`apply` exactly as bot/bootstrap/ hands it to the route: to_payment_event, then TicketService.apply."""
    engine = create_engine(PG_URL, connect_args=connect_args)
    try:
        async with LocalStripe() as server:  # refunds would go there; this mix makes none
            gateway = StripeGateway(server.api_key, api_base=server.url, max_network_retries=0)
            payments = StripeTicketPayments(
                gateway, success_url="x", cancel_url="x", onboarding_return_url="x", onboarding_refresh_url="x"
            )
            told = Quiet()
            service = TicketService(make_uow_factory(engine), SystemClock(), payments, told.bus)

            async def apply(event: StripeEvent) -> str:
                return await service.apply(to_payment_event(event))

            try:
                yield apply, told
            finally:
                await gateway.aclose()
    finally:
        await engine.dispose()


def direct_sender(apply: ApplyEvent) -> Send:
    """The route's work without HTTP: the signature checked on the raw body, then applied."""
    verifier = WebhookVerifier(SECRET, tolerance=TOLERANCE)

    async def send(item: Signed) -> str:
        return await apply(verifier.verify(item.payload, item.header))

    return send


@asynccontextmanager
async def http_sender(port: int, connections: int) -> AsyncIterator[Send]:
    """Stripe's side: each event POSTed with its Stripe-Signature header over kept-alive loopback connections.
    A bare HTTP/1.1 client on asyncio streams rather than aiohttp's: the load generator shares the machine's two
    cores with the server and PostgreSQL, and aiohttp's client costs more CPU per request than the server's
    route does outside the database work; what is measured is the server."""
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    head = f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n".encode()

    async def send(item: Signed) -> str:
        reader, writer = await idle.get()
        try:
            writer.write(
                b"%sStripe-Signature: %s\r\nContent-Length: %d\r\n\r\n%s"
                % (
                    head,
                    item.header.encode(),
                    len(item.payload),
                    item.payload,
                )
            )
            status, body = await _response(reader)
        except BaseException:
            writer.close()  # mid-exchange: this connection's state is unknown; a fresh one replaces it
            idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
            raise
        idle.put_nowait((reader, writer))
        answer = json.loads(body)
        if status != 200:
            raise RuntimeError(f"{status}: {answer}")
        return str(answer["outcome"])

    try:
        yield send
    finally:
        while not idle.empty():
            idle.get_nowait()[1].close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """An HTTP/1.1 response with a Content-Length (aiohttp's json_response always sends one)."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def drive(send: Send, items: Sequence[Signed], *, concurrency: int, rate: float | None) -> Served:
    """Closed loop (`rate` None): `concurrency` deliveries in flight, latency from send to answer. Open loop: one
    delivery every 1/rate s whatever happens, latency from its due time (a server that falls behind shows it)."""
    served = Served()
    _settle_heap()
    with FullCollections() as served.full_gc:
        await _drive(served, send, items, concurrency, rate)
    return served


GC_MODE_VARIABLE = "BENCH_WEBHOOKS_GC"  # set by --gc in the parent; spawned serving processes inherit it


def _settle_heap() -> None:
    """Start the run as the bot starts serving: its start-up heap frozen (``bot.heap``, the default), or with
    ``--gc collect`` only collected, as before that existed. Full collections that the serving itself causes
    still happen, and are counted."""
    if os.environ.get(GC_MODE_VARIABLE, "freeze") == "freeze":
        freeze_startup_heap()
    else:
        gc.collect()


async def _drive(served: Served, send: Send, items: Sequence[Signed], concurrency: int, rate: float | None) -> None:
    cpu = time.process_time()
    served.began = time.monotonic()

    async def one(item: Signed, due: float) -> None:
        try:
            served.outcomes[str(await send(item))] += 1
        except Exception as error:  # counted and shown; a run with errors is not a result
            served.errors += 1
            if served.errors <= 3:
                logging.getLogger("bench").error("delivery failed: %r", error)
        served.latencies.append(time.perf_counter() - due)

    if rate is None:
        queue = list(reversed(items))

        async def worker() -> None:
            while queue:
                await one(queue.pop(), time.perf_counter())

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    else:
        start, pending = time.perf_counter(), set[asyncio.Task[None]]()
        for n, item in enumerate(items):
            due = start + n / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(one(item, due))
            pending.add(task)  # held until done only: a list of every finished task would grow the heap the GC walks
            task.add_done_callback(pending.discard)
        while pending:
            await asyncio.wait(set(pending))
    served.ended = time.monotonic()
    served.cpu = time.process_time() - cpu


async def serve_http(
    connect_args: dict[str, Any], port: int, reuse_port: bool, ready: Any, stop: Any, log_file: str | None
) -> Served:
    """The bot's route (`StripeWebhook`, the same handler bot/web/server.py mounts) on an aiohttp app run as
    WebServer runs it (access log off); logging at INFO like the bot when `log_file` is given. Runs until `stop`."""
    if log_file:
        logging.basicConfig(
            filename=log_file, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    async with webhook_apply(connect_args) as (apply, told):
        app = web.Application()
        StripeWebhook(WebhookVerifier(SECRET, tolerance=TOLERANCE), apply).add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, reuse_port=reuse_port).start()
        served = Served()
        _settle_heap()
        cpu = time.process_time()
        with FullCollections() as served.full_gc:
            ready.put(port)
            await asyncio.to_thread(stop.wait)
        served.cpu = time.process_time() - cpu
        served.told = told.count
        await runner.cleanup()
    return served
