"""The pages Stripe hosts, reduced to one button each: Checkout's payment page and Connect's onboarding.

They let the demo sell a ticket end to end in a browser; tests use ``LocalStripe.pay`` instead. Like Stripe,
the payment page replaces ``{CHECKOUT_SESSION_ID}`` in ``success_url`` when it redirects.
"""

from __future__ import annotations

import html

from aiohttp import web

from stripe_sandbox import checkout, connect
from stripe_sandbox.errors import StripeApiError
from stripe_sandbox.state import SERVER_KEY, StripeState

__all__ = ["add_page_routes"]

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 4rem auto">
<p><small>Local Stripe test server</small></p><h1>{title}</h1><p>{detail}</p>
<form method="post"><button type="submit">{button}</button></form>{extra}</body></html>"""


def _page(title: str, detail: str, button: str, extra: str = "") -> web.Response:
    body = _PAGE.format(title=html.escape(title), detail=html.escape(detail), button=html.escape(button), extra=extra)
    return web.Response(text=body, content_type="text/html")


def _state(request: web.Request) -> StripeState:
    return request.app[SERVER_KEY]


async def payment_page(request: web.Request) -> web.Response:
    ledger = _state(request).ledger
    try:
        session = ledger.get("checkout.session", request.match_info["id"])
    except StripeApiError:
        raise web.HTTPNotFound() from None
    if session["status"] != "open":
        return web.Response(text=f"This Checkout Session is {session['status']}.", status=410)
    items = ledger.extras[session["id"]]["line_items"]
    title = ", ".join(item["description"] for item in items)
    amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
    cancel = session["cancel_url"]
    extra = f'<p><a href="{html.escape(cancel)}">Cancel</a></p>' if cancel else ""
    return _page(title, amount, f"Pay {amount}", extra)


async def pay(request: web.Request) -> web.Response:
    ledger = _state(request).ledger
    try:
        session = checkout.complete(ledger, request.match_info["id"])
    except StripeApiError as error:
        return web.Response(text=error.message, status=error.status)
    success = (session["success_url"] or "").replace("{CHECKOUT_SESSION_ID}", session["id"])
    if not success:
        return web.Response(text="Paid. You can close this page.")
    raise web.HTTPSeeOther(success)


async def onboarding_page(request: web.Request) -> web.Response:
    account = request.match_info["account"]
    return _page("Set up payouts", f"Express account {account}", "Finish onboarding")


async def finish_onboarding(request: web.Request) -> web.Response:
    ledger = _state(request).ledger
    account, token = request.match_info["account"], request.match_info["token"]
    link = ledger.extras.get(account, {}).get(token)
    if link is None:
        raise web.HTTPNotFound()
    connect.complete_onboarding(ledger, account)
    raise web.HTTPSeeOther(link["return_url"])


def add_page_routes(app: web.Application) -> None:
    app.router.add_get("/c/pay/{id}", payment_page)
    app.router.add_post("/c/pay/{id}", pay)
    app.router.add_get("/setup/e/{account}/{token}", onboarding_page)
    app.router.add_post("/setup/e/{account}/{token}", finish_onboarding)
