"""What the aiohttp handlers share: the ledger, the accepted API key, the public base URL, saved idempotent answers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from stripe_sandbox.ledger import Ledger

__all__ = ["SERVER_KEY", "SavedAnswer", "StripeState"]


@dataclass
class SavedAnswer:
    """The first answer given under an idempotency key, with what identified its request."""

    route: str
    params: list[tuple[str, str]]
    body: bytes


@dataclass
class StripeState:
    ledger: Ledger
    api_key: str
    base_url: str = ""
    idempotent: dict[tuple[str, str], SavedAnswer] = field(default_factory=dict)
    # Faults a test plays: new refunds start in this status; requests under a path prefix wait this long first.
    refund_status: str = "succeeded"
    delays: dict[str, float] = field(default_factory=dict)
    holds: dict[str, asyncio.Event] = field(default_factory=dict)
    replayed: list[str] = field(default_factory=list)  # idempotency keys answered from a saved answer

    async def wait_for_path(self, path: str) -> None:
        """A slow Stripe: wait the path's delay, and while a hold on it lasts, before anything is decided."""
        delay = max((seconds for prefix, seconds in self.delays.items() if path.startswith(prefix)), default=0.0)
        if delay:
            await asyncio.sleep(delay)
        for prefix, released in list(self.holds.items()):
            if path.startswith(prefix):
                await released.wait()


SERVER_KEY = web.AppKey("stripe_state", StripeState)
