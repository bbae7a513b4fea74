"""Webhook delivery: each recorded event POSTed to the endpoints that want it, signed the way Stripe signs.

The body is the event's JSON and ``Stripe-Signature`` is made by the SDK's own
``stripe.WebhookSignature.generate_signature_header`` (``t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>")``).

Automatic delivery runs in one worker task, in the order events were recorded; ``drain()`` waits for it. The
faults a receiver must survive are explicit controls: ``deliver(event, times=5)`` for duplicates, calling
``deliver`` in any order for reordering, ``lose_next()`` for a webhook that never arrives, and
``signature="forged" | "unsigned"`` or an old ``timestamp`` for requests that must be refused. Unlike Stripe,
failed automatic deliveries are not retried on their own; ``redeliver_failed()`` does it on request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

import aiohttp
import stripe

from stripe_sandbox.ledger import JSON, Ledger

__all__ = ["Delivery", "Signing", "WebhookDispatcher", "WebhookEndpoint"]

Signing = Literal["valid", "forged", "unsigned"]


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    url: str
    secret: str
    enabled_events: tuple[str, ...] = ("*",)

    def wants(self, event_type: str) -> bool:
        return any(e in ("*", event_type) for e in self.enabled_events)


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    endpoint_id: str
    status: int | None  # None: the endpoint could not be reached
    response: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _LossRule:
    event_type: str | None
    remaining: int


@dataclass
class WebhookDispatcher:
    ledger: Ledger
    automatic: bool = True
    timeout: float = 10.0
    endpoints: list[WebhookEndpoint] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    _losses: list[_LossRule] = field(default_factory=list)
    _queue: asyncio.Queue[JSON] = field(default_factory=asyncio.Queue)
    _worker: asyncio.Task[None] | None = None
    _http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._worker = asyncio.create_task(self._run(), name="stripe-sandbox-webhooks")
        self.ledger.on_event.append(self._recorded)

    async def stop(self) -> None:
        self.ledger.on_event.remove(self._recorded)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._http is not None:
            await self._http.close()

    def add_endpoint(self, url: str, events: tuple[str, ...] = ("*",), secret: str | None = None) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(
            id=self.ledger.new_id("we"),
            url=url,
            secret=secret or f"whsec_{secrets.token_urlsafe(24)}",
            enabled_events=events,
        )
        self.endpoints.append(endpoint)
        return endpoint

    def lose_next(self, event_type: str | None = None, count: int = 1) -> None:
        self._losses.append(_LossRule(event_type, count))

    async def drain(self) -> None:
        await self._queue.join()

    async def deliver(
        self,
        event: JSON,
        *,
        times: int = 1,
        signing: Signing = "valid",
        timestamp: int | None = None,
        endpoint: WebhookEndpoint | None = None,
    ) -> list[Delivery]:
        targets = [endpoint] if endpoint else [e for e in self.endpoints if e.wants(event["type"])]
        results = []
        for _ in range(times):
            for target in targets:
                results.append(await self._post(target, event, signing, timestamp))
        return results

    async def redeliver_failed(self) -> list[Delivery]:
        failed = {(d.event_id, d.endpoint_id) for d in self.deliveries if not d.ok}
        succeeded = {(d.event_id, d.endpoint_id) for d in self.deliveries if d.ok}
        endpoints = {e.id: e for e in self.endpoints}
        events = {e["id"]: e for e in self.ledger.events}
        results = []
        for event_id, endpoint_id in sorted(failed - succeeded):
            results += await self.deliver(events[event_id], endpoint=endpoints[endpoint_id])
        return results

    def _recorded(self, event: JSON) -> None:
        event["pending_webhooks"] = sum(e.wants(event["type"]) for e in self.endpoints)
        if not self.automatic or not event["pending_webhooks"]:
            return
        for rule in self._losses:
            if rule.remaining > 0 and rule.event_type in (None, event["type"]):
                rule.remaining -= 1
                self.lost.append(event["id"])
                return
        self._queue.put_nowait(event)

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.deliver(event)
            finally:
                self._queue.task_done()

    async def _post(self, endpoint: WebhookEndpoint, event: JSON, signing: Signing, timestamp: int | None) -> Delivery:
        assert self._http is not None, "start() the dispatcher first"
        payload = json.dumps(event, indent=2)
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+local sandbox)"}
        if signing != "unsigned":
            secret = endpoint.secret if signing == "valid" else f"whsec_{secrets.token_urlsafe(24)}"
            signed_at = timestamp if timestamp is not None else int(time.time())
            headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(payload, secret, signed_at)
        try:
            async with self._http.post(endpoint.url, data=payload.encode(), headers=headers) as response:
                delivery = Delivery(event["id"], event["type"], endpoint.id, response.status, await response.text())
        except (aiohttp.ClientError, TimeoutError) as error:
            delivery = Delivery(event["id"], event["type"], endpoint.id, None, repr(error))
        self.deliveries.append(delivery)
        return delivery
