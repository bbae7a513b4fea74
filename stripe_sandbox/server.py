"""``LocalStripe``: a Stripe-compatible test server on loopback, and the controls a test uses to play Stripe.

    async with LocalStripe() as stripe_server:            # 127.0.0.1, a free port
        client = stripe.StripeClient(stripe_server.api_key, base_addresses={"api": stripe_server.url},
                                     http_client=stripe.AIOHTTPClient())
        endpoint = stripe_server.add_webhook_endpoint("http://127.0.0.1:8080/stripe/webhook")
        ...                                               # the code under test creates a Checkout Session
        await stripe_server.pay(session_id)               # the buyer pays; the webhooks have arrived on return

The server keeps everything in memory and runs on the caller's event loop; drive the controls from that loop.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from types import TracebackType

from aiohttp import web

from stripe_sandbox import checkout, connect, money
from stripe_sandbox.app import build_app
from stripe_sandbox.delivery import Delivery, Signing, WebhookDispatcher, WebhookEndpoint
from stripe_sandbox.ledger import JSON, Ledger
from stripe_sandbox.state import StripeState

__all__ = ["LocalStripe"]


class LocalStripe:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None) -> None:
        self.host, self.port = host, port
        self.api_key = api_key or f"sk_test_{secrets.token_urlsafe(24)}"
        self._offset = 0
        self.ledger = Ledger(self.now)
        self.webhooks = WebhookDispatcher(self.ledger)
        self._state = StripeState(self.ledger, self.api_key)
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(build_app(self._state), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._state.base_url = self.url
        await self.webhooks.start()

    async def stop(self) -> None:
        await self.webhooks.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> LocalStripe:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    # --- time ----------------------------------------------------------------------------------------------

    def now(self) -> int:
        return int(time.time()) + self._offset

    async def advance(self, seconds: int) -> list[str]:
        """Move the server's clock on; open sessions past ``expires_at`` expire. Returns their ids."""
        self._offset += seconds
        expired = checkout.sweep_expired(self.ledger)
        await self._settle()
        return expired

    # --- what buyers and hosts do on Stripe's pages ---------------------------------------------------

    async def pay(self, session_id: str, *, delayed: bool = False, email: str = "buyer@example.com") -> JSON:
        """The buyer pays (``delayed``: an async method, settled by :meth:`settle`). Webhooks are out on return."""
        session = checkout.complete(self.ledger, session_id, delayed=delayed, email=email)
        await self._settle()
        return copy.deepcopy(session)

    async def settle(self, session_id: str, *, succeeded: bool = True) -> JSON:
        session = checkout.settle_async(self.ledger, session_id, succeeded=succeeded)
        await self._settle()
        return session

    async def expire(self, session_id: str) -> JSON:
        session = checkout.expire(self.ledger, session_id)
        await self._settle()
        return copy.deepcopy(session)

    async def complete_onboarding(self, account_id: str) -> JSON:
        account = connect.complete_onboarding(self.ledger, account_id)
        await self._settle()
        return copy.deepcopy(account)

    # --- refunds and a slow Stripe ---------------------------------------------------------------------------

    @property
    def refund_status(self) -> str:
        """The status new refunds get at once: ``succeeded`` (default) or ``pending`` (see :meth:`settle_refund`)."""
        return self._state.refund_status

    @refund_status.setter
    def refund_status(self, value: str) -> None:
        if value not in ("succeeded", "pending"):
            raise ValueError("a refund starts succeeded or pending")
        self._state.refund_status = value

    async def settle_refund(self, refund_id: str, *, succeeded: bool = True, failure_reason: str = "unknown") -> JSON:
        """The card network answers: the refund succeeds, or fails (``failure_reason``, the money stays with the
        merchant). Webhooks are out on return."""
        refund = money.settle_refund(self.ledger, refund_id, succeeded=succeeded, failure_reason=failure_reason)
        await self._settle()
        return copy.deepcopy(refund)

    async def dashboard_refund(self, payment_intent: str, *, amount: int | None = None) -> JSON:
        """Someone refunds on Stripe's dashboard: no idempotency key, no metadata of ours."""
        params: dict[str, object] = {"payment_intent": payment_intent}
        if amount is not None:
            params["amount"] = str(amount)
        refund = money.create_refund(self.ledger, params, status=self._state.refund_status)
        await self._settle()
        return copy.deepcopy(refund)

    def slow(self, seconds: float, path_prefix: str = "/v1/") -> None:
        """Every API request under ``path_prefix`` waits ``seconds`` before it is served (0 removes it)."""
        if seconds:
            self._state.delays[path_prefix] = seconds
        else:
            self._state.delays.pop(path_prefix, None)

    @property
    def replayed_keys(self) -> list[str]:
        """Idempotency keys a request came with again (answered from the first answer), in order."""
        return list(self._state.replayed)

    def hold(self, path_prefix: str) -> None:
        """Requests under ``path_prefix`` wait, unanswered, until :meth:`release` (a Stripe that hangs)."""
        self._state.holds.setdefault(path_prefix, asyncio.Event())

    def release(self, path_prefix: str) -> None:
        event = self._state.holds.pop(path_prefix, None)
        if event is not None:
            event.set()

    # --- webhooks ------------------------------------------------------------------------------------------

    def add_webhook_endpoint(
        self, url: str, events: tuple[str, ...] = ("*",), secret: str | None = None
    ) -> WebhookEndpoint:
        return self.webhooks.add_endpoint(url, events, secret)

    @property
    def automatic_delivery(self) -> bool:
        return self.webhooks.automatic

    @automatic_delivery.setter
    def automatic_delivery(self, value: bool) -> None:
        self.webhooks.automatic = value

    def lose_next(self, event_type: str | None = None, count: int = 1) -> None:
        """The next ``count`` matching events are recorded (``/v1/events`` shows them) but never delivered."""
        self.webhooks.lose_next(event_type, count)

    async def deliver(
        self, event_id: str, *, times: int = 1, signing: Signing = "valid", timestamp: int | None = None
    ) -> list[Delivery]:
        return await self.webhooks.deliver(self.event(event_id), times=times, signing=signing, timestamp=timestamp)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    async def _settle(self) -> None:
        await self.webhooks.drain()

    # --- reading the state -----------------------------------------------------------------------------

    def events(self, event_type: str | None = None) -> list[JSON]:
        return [e for e in self.ledger.events if event_type is None or e["type"] == event_type]

    def event(self, event_id: str) -> JSON:
        return next(e for e in self.ledger.events if e["id"] == event_id)

    def objects(self, kind: str) -> list[JSON]:
        """Every object of a kind (``checkout.session``, ``payment_intent``, ``charge``, ``refund``, ``account``)."""
        return self.ledger.all(kind)

    def get(self, kind: str, object_id: str) -> JSON:
        return self.ledger.get(kind, object_id)
