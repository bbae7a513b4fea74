"""A small client of Janus's HTTP API (janus-gateway 1.1.x): one session, many handles, one event poll.

Janus's HTTP transport: ``POST /janus`` creates a session, ``POST /janus/<session>`` attaches a handle to a plugin,
``POST /janus/<session>/<handle>`` sends the plugin a message (synchronous requests answer at once with
``success``; asynchronous ones answer ``ack`` and their result comes later as an ``event`` on the session), and
``GET /janus/<session>?maxev=N`` long-polls the session's events. The poll also keeps the session alive (Janus
drops a session after ``session_timeout`` seconds without a request on it), so one poll loop per edge both
delivers every viewer's events and is the edge's health check: it failing means the edge is gone.

Events are matched to the request that caused them by the ``transaction`` Janus echoes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from typing import Any, Final

import aiohttp

__all__ = ["JanusError", "JanusGone", "JanusSession"]

JSON = dict[str, Any]
POLL_EVENTS: Final = 50  # events per long poll: a burst of viewers' events comes in one round trip
REQUEST_TIMEOUT: Final = 10.0  # Janus answers synchronous requests at once; longer means it is stuck
EVENT_TIMEOUT: Final = 10.0  # a watch's offer or a start's confirmation arrives within this, or never


class JanusError(Exception):
    """Janus refused a request; the message is its reason."""


class JanusGone(JanusError):
    """Janus cannot be reached, or no longer knows the session (it restarted)."""


class JanusSession:
    """One Janus session on one server, opened with ``open()``; ``poll()`` must run for asynchronous results."""

    def __init__(self, http: aiohttp.ClientSession, url: str, *, api_secret: str = "") -> None:
        self.url = url.rstrip("/")
        self._http, self._api_secret = http, api_secret
        self.session_id = 0
        self._waiting: dict[str, asyncio.Future[JSON]] = {}
        self.on_event: Callable[[JSON], None] = lambda event: None  # events no request is waiting for

    async def open(self) -> None:
        self.session_id = int((await self._post(self.url, {"janus": "create"}))["data"]["id"])

    async def close(self) -> None:
        self._fail_waiting(JanusGone("the session closed"))
        if self.session_id:
            session_url, self.session_id = f"{self.url}/{self.session_id}", 0
            with contextlib.suppress(JanusError):  # already gone with its server: nothing left to destroy
                await self._post(session_url, {"janus": "destroy"})

    async def attach(self, plugin: str) -> int:
        return int((await self._post(self._session_url, {"janus": "attach", "plugin": plugin}))["data"]["id"])

    async def detach(self, handle: int) -> None:
        await self._post(f"{self._session_url}/{handle}", {"janus": "detach"})

    async def request(self, handle: int, body: JSON) -> JSON:
        """A synchronous plugin request (``create``, ``destroy``, ``info``...): the plugin's answer."""
        reply = await self._post(f"{self._session_url}/{handle}", {"janus": "message", "body": body})
        data: JSON = reply.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise JanusError(f"{data['error']} (code {data.get('error_code')})")
        return data

    async def ask(self, handle: int, body: JSON, jsep: JSON | None = None) -> JSON:
        """An asynchronous plugin request (``watch``, ``start``): the event that answers it, with its ``jsep``."""
        transaction = secrets.token_hex(8)
        answered = self._waiting[transaction] = asyncio.get_running_loop().create_future()
        message: JSON = {"janus": "message", "body": body}
        if jsep is not None:
            message["jsep"] = jsep
        try:
            await self._post(f"{self._session_url}/{handle}", message, transaction=transaction)
            async with asyncio.timeout(EVENT_TIMEOUT):
                event: JSON = await answered
        finally:
            self._waiting.pop(transaction, None)
        data: JSON = event.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise JanusError(f"{data['error']} (code {data.get('error_code')})")
        return event

    async def poll(self) -> None:
        """Deliver the session's events until it fails (JanusGone): run it in a task for as long as the session."""
        try:
            while True:
                for event in await self._poll_once():
                    waiting = self._waiting.get(event.get("transaction", ""))
                    if waiting is not None and event.get("janus") == "event" and not waiting.done():
                        waiting.set_result(event)
                    else:
                        self.on_event(event)
        except JanusError as error:
            self._fail_waiting(error)
            raise

    async def _poll_once(self) -> list[JSON]:
        params = {"maxev": str(POLL_EVENTS)}
        if self._api_secret:
            params["apisecret"] = self._api_secret
        try:
            # Janus holds the poll up to 30 s when nothing happens; a dead server is noticed by the connection.
            async with self._http.get(self._session_url, params=params, timeout=_timeout(45.0)) as response:
                reply = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise JanusGone(f"{self.url}: {error or type(error).__name__}") from None
        events = reply if isinstance(reply, list) else [reply]
        for event in events:
            if event.get("janus") == "error":
                raise JanusGone(f"{self.url}: {event['error'].get('reason')}")
        return [event for event in events if event.get("janus") != "keepalive"]

    @property
    def _session_url(self) -> str:
        if not self.session_id:
            raise JanusGone("no session: open() it first")
        return f"{self.url}/{self.session_id}"

    async def _post(self, url: str, message: JSON, *, transaction: str = "") -> JSON:
        message["transaction"] = transaction or secrets.token_hex(8)
        if self._api_secret:
            message["apisecret"] = self._api_secret
        try:
            async with self._http.post(url, json=message, timeout=_timeout(REQUEST_TIMEOUT)) as response:
                reply: JSON = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise JanusGone(f"{url}: {error or type(error).__name__}") from None
        if reply.get("janus") == "error":
            refusal = reply.get("error", {})
            # 458: no such session (the server restarted and forgot it)
            raise (JanusGone if refusal.get("code") == 458 else JanusError)(f"Janus: {refusal.get('reason')}")
        return reply

    def _fail_waiting(self, error: JanusError) -> None:
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(error)


def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds)
