"""The HTTP face: Stripe's ``/v1`` routes, its bearer-key check and ``Idempotency-Key`` semantics.

Idempotency follows Stripe's documented rules: a POST's first result is saved under its key (per API key) and
replayed, with ``Idempotent-Replayed: true``, for the same key and parameters; the same key with other
parameters or on another route is a 400 ``idempotency_error``. Requests rejected by validation (400) are not
saved, so a corrected retry with the same key goes through, as on Stripe.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from stripe_sandbox import checkout, connect, money
from stripe_sandbox.errors import StripeApiError, authentication, idempotency, invalid_request, missing
from stripe_sandbox.forms import Params, as_list, decode, get_str
from stripe_sandbox.ledger import JSON, expand_paths
from stripe_sandbox.pages import add_page_routes
from stripe_sandbox.state import SERVER_KEY, SavedAnswer, StripeState

__all__ = ["Handler", "build_app"]

Handler = Callable[["StripeState", Params, web.Request], JSON]
_MAX_EVENT_TYPES = 20


def _dump(body: JSON) -> bytes:
    return json.dumps(body, indent=2).encode()


def _json(status: int, body: bytes, request_id: str, **headers: str) -> web.Response:
    return web.Response(
        status=status, body=body, content_type="application/json", headers={"Request-Id": request_id, **headers}
    )


def _check_key(state: StripeState, request: web.Request) -> None:
    header = request.headers.get("Authorization", "")
    if not header:
        raise authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    scheme, _, key = header.partition(" ")
    if scheme != "Bearer" or key != state.api_key:
        raise authentication(f"Invalid API Key provided: {key[:8]}****{key[-4:]}")


def _endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def serve(request: web.Request) -> web.Response:
        state = request.app[SERVER_KEY]
        request_id = state.ledger.new_id("req")
        try:
            _check_key(state, request)
            text = await request.text() if request.method == "POST" else request.query_string
            # A slow Stripe (a test's fault): the request has arrived whole; the answer takes its time. A client
            # that gives up meanwhile does not undo it, as on Stripe.
            await state.wait_for_path(request.path)
            key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
            if key is None:
                return _json(200, _dump(handler(state, decode(text), request)), request_id)
            saved = SavedAnswer(
                f"{request.method} {request.path}", sorted(parse_qsl(text, keep_blank_values=True)), b""
            )
            replay = _replay(state, key, saved)
            if replay is not None:
                state.replayed.append(key)
                return _json(200, replay, request_id, **{"Idempotent-Replayed": "true"})
            # Handlers never await, so a request runs whole before the next starts: no in-flight duplicates.
            saved.body = _dump(handler(state, decode(text), request))
            state.idempotent[(state.api_key, key)] = saved
            return _json(200, saved.body, request_id)
        except StripeApiError as error:
            return _json(error.status, _dump(error.body()), request_id)

    return serve


def _replay(state: StripeState, key: str, request: SavedAnswer) -> bytes | None:
    saved = state.idempotent.get((state.api_key, key))
    if saved is None:
        return None
    if saved.route != request.route:
        raise idempotency(f"Keys for idempotent requests can only be used for the same endpoint. Key: '{key}'.")
    if saved.params != request.params:
        raise idempotency(
            "Keys for idempotent requests can only be used with the same parameters they were first used with. "
            f"Try using a key other than '{key}' if you meant to execute a different request."
        )
    return saved.body


def _expanded(state: StripeState, obj: JSON, params: Params) -> JSON:
    return state.ledger.expand(obj, expand_paths(params))


# --- Checkout Sessions ----------------------------------------------------------------------------------


def create_session(state: StripeState, params: Params, _: web.Request) -> JSON:
    return _expanded(state, checkout.create_session(state.ledger, params, state.base_url), params)


def retrieve_session(state: StripeState, params: Params, request: web.Request) -> JSON:
    checkout.sweep_expired(state.ledger)
    session = state.ledger.get("checkout.session", request.match_info["id"], param="session")
    return _expanded(state, session, params)


def expire_session(state: StripeState, params: Params, request: web.Request) -> JSON:
    checkout.sweep_expired(state.ledger)
    return _expanded(state, checkout.expire(state.ledger, request.match_info["id"]), params)


def list_sessions(state: StripeState, params: Params, _: web.Request) -> JSON:
    checkout.sweep_expired(state.ledger)
    status, intent = get_str(params, "status"), get_str(params, "payment_intent")
    sessions = [
        s
        for s in state.ledger.all("checkout.session")
        if (status is None or s["status"] == status) and (intent is None or s["payment_intent"] == intent)
    ]
    page = state.ledger.list_page(sessions, params, "/v1/checkout/sessions")
    return _expanded(state, page, params)


# --- Money, events, Connect ------------------------------------------------------------------------------


def _retrieve(kind: str) -> Handler:
    def retrieve(state: StripeState, params: Params, request: web.Request) -> JSON:
        return _expanded(state, state.ledger.get(kind, request.match_info["id"]), params)

    return retrieve


def create_refund(state: StripeState, params: Params, _: web.Request) -> JSON:
    return _expanded(state, money.create_refund(state.ledger, params, status=state.refund_status), params)


def list_refunds(state: StripeState, params: Params, _: web.Request) -> JSON:
    intent, charge = get_str(params, "payment_intent"), get_str(params, "charge")
    refunds = [
        r
        for r in state.ledger.all("refund")
        if (intent is None or r["payment_intent"] == intent) and (charge is None or r["charge"] == charge)
    ]
    return _expanded(state, state.ledger.list_page(refunds, params, "/v1/refunds"), params)


def _type_matches(event_type: str, wanted: list[str]) -> bool:
    return any(event_type == w or (w.endswith(".*") and event_type.startswith(w[:-1])) for w in wanted)


def list_events(state: StripeState, params: Params, _: web.Request) -> JSON:
    checkout.sweep_expired(state.ledger)
    single = get_str(params, "type")
    wanted: list[Any] = [single] if single else as_list(params, "types")
    if len(wanted) > _MAX_EVENT_TYPES:
        raise invalid_request("You may pass at most 20 types.", param="types")
    events = [e for e in state.ledger.events if not wanted or _type_matches(e["type"], wanted)]
    return state.ledger.list_page(events, params, "/v1/events")


def retrieve_event(state: StripeState, params: Params, request: web.Request) -> JSON:
    for event in state.ledger.events:
        if event["id"] == request.match_info["id"]:
            return event
    raise missing("event", request.match_info["id"])


def create_account(state: StripeState, params: Params, _: web.Request) -> JSON:
    return connect.create_account(state.ledger, params)


def create_account_link(state: StripeState, params: Params, _: web.Request) -> JSON:
    return connect.create_account_link(state.ledger, params, state.base_url)


async def _unknown_route(request: web.Request) -> web.Response:
    error = invalid_request(f"Unrecognized request URL ({request.method}: {request.path}).")
    return _json(404, _dump(error.body()), "req_unknown")


def build_app(state: StripeState) -> web.Application:
    app = web.Application()
    app[SERVER_KEY] = state
    routes = [
        ("POST", "/v1/checkout/sessions", create_session),
        ("GET", "/v1/checkout/sessions", list_sessions),
        ("GET", "/v1/checkout/sessions/{id}", retrieve_session),
        ("POST", "/v1/checkout/sessions/{id}/expire", expire_session),
        ("GET", "/v1/payment_intents/{id}", _retrieve("payment_intent")),
        ("GET", "/v1/charges/{id}", _retrieve("charge")),
        ("POST", "/v1/refunds", create_refund),
        ("GET", "/v1/refunds", list_refunds),
        ("GET", "/v1/refunds/{id}", _retrieve("refund")),
        ("GET", "/v1/events", list_events),
        ("GET", "/v1/events/{id}", retrieve_event),
        ("POST", "/v1/accounts", create_account),
        ("GET", "/v1/accounts/{id}", _retrieve("account")),
        ("POST", "/v1/account_links", create_account_link),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _endpoint(handler))
    add_page_routes(app)
    app.router.add_route("*", "/v1/{tail:.*}", _unknown_route)
    return app
