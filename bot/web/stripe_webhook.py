"""``POST /stripe/webhook``: Stripe's events about ticket payments, verified on the raw body, applied once.

    400 {"error": reason}     unsigned, forged, stale (older than the tolerance) or malformed: nothing changed
    200 {"outcome": ...}      applied, or a duplicate, or an event type we ignore: Stripe must not send it again
    500                       we could not apply it now (database down...): Stripe retries, reconciliation too

The signature is checked by ``payments.WebhookVerifier`` over the exact bytes received, before anything else
reads the body. Exactly-once is the core's (``TicketService.apply`` records the event id in the transaction
of its effects), so this endpoint is free to answer 200 to every duplicate. The answer never waits for Stripe:
the refunds and waitlist Checkouts an event leads to are written to the ticket outbox in that transaction and
made by its worker afterwards (a slow Stripe would otherwise make Stripe's own delivery time out).

Events handled: ``checkout.session.*`` (payments), ``refund.created`` / ``refund.updated`` / ``refund.failed`` /
``charge.refund.updated`` (a refund's status: only ``succeeded`` refunds an order), ``account.updated``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web.stripe_pages import add_stripe_pages
from payments import StripeEvent, WebhookRejected, WebhookVerifier

__all__ = ["MAX_EVENT_BYTES", "WEBHOOK_PATH", "StripeWebhook"]

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/stripe/webhook"
# Stripe's events are a few kilobytes; a megabyte is far above any of them and still bounded.
MAX_EVENT_BYTES = 1024 * 1024
ApplyEvent = Callable[[StripeEvent], Awaitable[str]]


class StripeWebhook:
    def __init__(self, verifier: WebhookVerifier, apply: ApplyEvent) -> None:
        self._verifier = verifier
        self._apply = apply

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self.receive)
        add_stripe_pages(app)

    async def receive(self, request: web.Request) -> web.Response:
        body = await _read_bounded(request)
        try:
            event = self._verifier.verify(body, request.headers.get("Stripe-Signature"))
        except WebhookRejected as rejected:
            log.warning("Stripe webhook refused: %s", rejected.message)
            return web.json_response({"error": rejected.message}, status=400)
        try:
            outcome = await self._apply(event)
        except WebhookRejected as rejected:  # signed, but not a shape we can read: Stripe must not retry it
            log.warning("Stripe event %s refused: %s", event.id, rejected.message)
            return web.json_response({"error": rejected.message}, status=400)
        except Exception:
            # Not the sender's fault: 5xx makes Stripe deliver it again later (and reconciliation repairs it).
            log.exception("Stripe event %s (%s) could not be applied now", event.id, event.type)
            return web.json_response({"error": "temporarily unable to process this event"}, status=500)
        log.info("Stripe event %s (%s): %s", event.id, event.type, outcome)
        return web.json_response({"received": True, "outcome": outcome})


async def _read_bounded(request: web.Request) -> bytes:
    """The raw body, refusing more than MAX_EVENT_BYTES (the app's own limit is sized for SDP offers)."""
    if request.content_length is not None and request.content_length > MAX_EVENT_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_EVENT_BYTES, actual_size=request.content_length)
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_EVENT_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_EVENT_BYTES, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)
