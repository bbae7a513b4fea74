"""The pages Stripe sends a member back to: after paying (or not) for a ticket, after payout onboarding.

Plain text on purpose: nothing is decided here. A ticket exists only once Stripe's signed webhook says it was
paid (this page can be opened by anyone), and payouts are ready only once Stripe says so.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["CANCELLED_PATH", "PAID_PATH", "PAYOUTS_DONE_PATH", "PAYOUTS_REFRESH_PATH", "add_stripe_pages"]

PAID_PATH = "/tickets/paid"
CANCELLED_PATH = "/tickets/cancelled"
PAYOUTS_DONE_PATH = "/payouts/done"
PAYOUTS_REFRESH_PATH = "/payouts/refresh"

_PAGES = {
    PAID_PATH: "Thanks! Your ticket arrives in a Discord DM as soon as Stripe confirms the payment.",
    CANCELLED_PATH: "No payment was made. Your seat stays held until the checkout expires; press Buy ticket again "
    "in Discord to pay.",
    PAYOUTS_DONE_PATH: "Done on Stripe's side. Run /payouts setup in Discord to see whether your payouts are ready.",
    PAYOUTS_REFRESH_PATH: "That onboarding link has expired. Run /payouts setup in Discord for a new one.",
}


def add_stripe_pages(app: web.Application) -> None:
    for path, text in _PAGES.items():

        async def page(request: web.Request, text: str = text) -> web.Response:
            return web.Response(text=text, headers={"Cache-Control": "no-store"})

        app.router.add_get(path, page)
