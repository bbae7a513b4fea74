"""The bot's aiohttp app: the listen page, WebRTC signalling, live state over Server-Sent Events.

    GET  /spaces/{id}          the listen page (plain HTML/JS, no build step)
    POST /spaces/{id}/offer    {"sdp": offer} (ticket in the query, as for the page) -> {"sdp": answer}; 400 with the
                               reason for an offer we can never answer, 503 when the Space is full or has ended
    GET  /spaces/{id}/events   text/event-stream of the page's state (``bot.web.page_state``: server, title,
                               who is on stage and talking, listeners, reactions, pinned links), sent when it
                               changes; and, as `captions` events, the live captions (on, delayed, the latest
                               lines), sent as they change; a comment line every `KEEPALIVE` seconds of quiet
    GET  /spaces/{id}/calendar.ics, /spaces/{id}/status   a scheduled Space's (``bot.web.scheduled``)
An upcoming scheduled Space's id gets the page in its scheduled state (``bot.web.scheduled``). An unknown or ended
Space's page is a 404 in the page's own style that says what to do.
    POST /stripe/webhook       Stripe's ticket payment events, when tickets are on (``bot.web.stripe_webhook``)
    POST /spaces/{id}/edge...  with Janus edges configured, the page plays through one (``bot.web.edge_routes``)

The audio answer comes from the Space's ``WebListeners`` (one shared Opus encode; ICE on the web host only).
A ticketed Space needs a signed personal link (``bot.web.links``) on both the offer and the event stream, and
the member it was issued to must still be allowed in (a refunded ticket closes the link at once).

Captions ride the same event stream as named `captions` events rather than a stream of their own: a listener then
holds one connection, not two (browsers allow six per host, and each open stream is a socket on the bot), passes
one ticket check that covers both, and sees one end. The page's state is polled, captions are pushed, once per Space
for all its pages (``bot.web.page_feed``): a stream wakes when the text it sends changed.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

from aiohttp import web

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.captions.feed import CaptionFeed
from bot.web.edge_routes import add_edge_routes
from bot.web.links import LinkRefused, LinkSigner
from bot.web.page_feed import PageFeed, PageWatch
from bot.web.page_state import PlaceOf, Someone, Who, page_state
from bot.web.replay import MayHear, TranscriptOf, add_replay_routes, replay_path
from bot.web.replay_pages import FactsOf
from bot.web.scheduled import ScheduledPages, Upcoming
from bot.web.stripe_webhook import StripeWebhook
from spaces_core.domain.space import Space
from spaces_core.webrtc import BadOffer, ListenerRejected
from spaces_core.webrtc.janus import Edges

__all__ = ["WebServer"]

log = logging.getLogger(__name__)
Ticketed = Callable[[Space], bool | Awaitable[bool]]
MayAttend = Callable[[Space, int], Awaitable[bool]]
ADMISSION_RECHECK = 5.0  # a ticket refunded while its page is open stops its state and captions within this
KEEPALIVE = 15.0  # seconds of quiet before a comment line: proxies cut streams idle for longer (nginx: 60 s)
MAX_OFFER_BYTES = 64 * 1024
CLOSED_CHECK = 5.0  # seconds at most before an open stream looks whether its page is still there
# How long a connection may sit without a complete request: before its first request's headers are in, and
# between two requests. aiohttp's keep-alive timer (``keepalive_timeout``) runs from the connection's start and
# closes it whenever it is still waiting for a request, so one setting bounds both; a request being handled (the
# event stream) is never cut by it. aiohttp's own default is an hour, which lets idle sockets pile up. aiohttp
# 3.14 has no separate header-read timeout; the same bound is put on reading an offer's body (``_offered_sdp``).
IDLE_TIMEOUT = 20.0
_JSON_TYPES = {
    type(None): "null",
    bool: "true/false",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
}


class WebServer:
    def __init__(
        self,
        audio: AudioRooms,
        signer: LinkSigner,
        *,
        host: str,
        port: int,
        name_of: Callable[[int, int], str] | None = None,
        who: Who | None = None,
        place_of: PlaceOf | None = None,
        public_base_url: str = "",
        ticketed: Ticketed = lambda space: False,
        may_attend: MayAttend | None = None,
        webhook: StripeWebhook | None = None,
        captions: CaptionFeed | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        admission_recheck: float = ADMISSION_RECHECK,
        keepalive: float = KEEPALIVE,
        replay_transcript: TranscriptOf | None = None,
        replay_facts: FactsOf | None = None,
        replay_audience: MayHear | None = None,
        more_routes: Sequence[Callable[[web.Application], None]] = (),
        upcoming: Upcoming | None = None,
        edges: Edges | None = None,
    ) -> None:
        """`captions` is the process's one feed, which the captions pipeline publishes into (without one, every
        Space's captions are off). `who` names a member and gives their avatar (`name_of` alone: names only);
        `place_of` names the Space's server; `upcoming` finds scheduled Spaces (without it, only live ones); with
        `edges` (Janus), pages play through an edge, started and stopped with this server."""
        self._audio, self._signer = audio, signer
        self.captions = captions if captions is not None else CaptionFeed()
        self.pages = PageFeed(audio, self.state, self.captions)  # one render of a Space's page for all its pages
        self.host, self.port = host, port
        self._public_base_url = public_base_url.rstrip("/")
        self._who = who or _names_only(name_of or (lambda guild, user: "a speaker"))
        self._place_of = place_of or (lambda guild: None)
        self._ticketed, self._may_attend = ticketed, may_attend
        self._webhook = webhook
        self._replay_transcript = replay_transcript  # the lines beside the replay player
        self._replay_facts = replay_facts  # the replay page's header
        self._replay_audience = replay_audience  # who may still hear a replay (a refunded ticket may not)
        self._more_routes = more_routes  # other features' pages (the host's stats)
        self.edges = edges
        self._idle_timeout = idle_timeout
        self.keepalive = keepalive
        self.admission_recheck = admission_recheck  # seconds between two checks that an open stream still admits
        self._runner: web.AppRunner | None = None
        static = resources.files("bot.web").joinpath("static")
        self._page = static.joinpath("listen.html").read_text(encoding="utf-8")
        if edges is not None:  # the page plays through an edge (bot/web/edge_routes.py)
            edge_script = static.joinpath("listen_edge.js").read_text(encoding="utf-8")
            self._page = self._page.replace("<!-- janus edge script -->", f"<script>\n{edge_script}</script>", 1)
        self._not_found = static.joinpath("not_found.html").read_text(encoding="utf-8")
        scheduled_page = static.joinpath("scheduled.html").read_text(encoding="utf-8")
        self.scheduled: ScheduledPages | None = None  # public: tests make its page follow its Space faster
        if upcoming is not None:
            self.scheduled = ScheduledPages(upcoming, scheduled_page, self._who, self._place_of)

    @property
    def base_url(self) -> str:
        return self._public_base_url or f"http://{self.host}:{self.port}"

    def listen_url(self, space: Space) -> str:
        return self.page_url(space.id)

    def page_url(self, space_id: str) -> str:
        """The page of a live Space or of an upcoming scheduled one (its schedule's id)."""
        return f"{self.base_url}/spaces/{space_id}"

    def personal_url(self, space_id: str, member_id: int) -> str:
        """A member's own signed link to a ticketed Space's listen page (see ``bot.web.links``)."""
        return f"{self.base_url}/spaces/{space_id}?ticket={self._signer.sign(space_id, member_id)}"

    def replay_url(self, space: Space, member_id: int, *, ttl_seconds: float) -> str:
        """A personal link to the replay, handed out privately by `/space replay`."""
        token = self._signer.sign(space.id, member_id, ttl_seconds=ttl_seconds, purpose="replay")
        return f"{self.base_url}{replay_path(space.id, token)}"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_OFFER_BYTES)
        app.router.add_get("/spaces/{space_id}", self._listen_page)
        app.router.add_post("/spaces/{space_id}/offer", self._offer)
        app.router.add_get("/spaces/{space_id}/events", self._events)
        if self.scheduled is not None:
            self.scheduled.add_routes(app)
        if self._audio.replays is not None:
            add_replay_routes(
                app,
                self._signer,
                self._audio.replays.existing,
                lambda space_id: self._audio.get(space_id) is not None,
                self._replay_transcript,
                self._replay_facts,
                self._replay_audience,
            )
        if self._webhook is not None:
            self._webhook.add_routes(app)
        for add_routes in self._more_routes:
            add_routes(app)
        if self.edges is not None:
            add_edge_routes(app, self.edges, self._room, lambda request: _offered_sdp(request, self._idle_timeout))
        return app

    async def start(self) -> None:
        if self.edges is not None:
            await self.edges.run()
        self._runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=1.0, keepalive_timeout=self._idle_timeout
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self.edges is not None:
            await self.edges.stop()

    async def _room(self, request: web.Request) -> SpaceAudio:
        room = self._audio.get(request.match_info["space_id"])
        if room is None:
            raise web.HTTPNotFound(text="This Space is not live.")
        refused = await self._refusal(request, room)
        if refused is not None:
            raise web.HTTPForbidden(text=refused)
        return room

    async def _refusal(self, request: web.Request, room: SpaceAudio) -> str | None:
        """Why this request's link may not hear the Space (a ticketed Space's signed link, still valid), or None."""
        ticketed = self._ticketed(room.space)
        if not (await ticketed if inspect.isawaitable(ticketed) else ticketed):
            return None
        try:
            member = self._signer.verify(request.query.get("ticket", ""), room.space.id)
        except LinkRefused as refused:
            return str(refused)
        if self._may_attend is not None and not await self._may_attend(room.space, member):
            return "This link's ticket is no longer valid (refunded?)."
        return None

    async def _listen_page(self, request: web.Request) -> web.Response:
        found = self._audio.get(request.match_info["space_id"]) is not None
        if not found and self.scheduled is not None:
            scheduled = await self.scheduled.page(request)
            if scheduled is not None:
                return scheduled
        return web.Response(
            text=self._page if found else self._not_found,
            status=200 if found else 404,
            content_type="text/html",
            headers={"Cache-Control": "no-store"},
        )

    async def _offer(self, request: web.Request) -> web.Response:
        room = await self._room(request)
        if room.space.broadcast:  # its web listeners hear HLS (bot/hls): no WebRTC slot, no cap
            raise web.HTTPConflict(text="This Space is broadcast: press Play again to listen over HTTP.")
        sdp = await _offered_sdp(request, self._idle_timeout)
        try:
            answer = await room.listeners.offer(sdp)
        except BadOffer as bad:
            raise web.HTTPBadRequest(text=f"Bad offer: {bad}.") from None
        except ListenerRejected as rejected:  # full, or its audio has ended: try again later
            raise web.HTTPServiceUnavailable(text=str(rejected)) from None
        return web.json_response({"sdp": answer})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        room = await self._room(request)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
        await response.prepare(request)
        try:
            async with self.pages.watching(room) as watch:
                ended = await self._stream(request, response, watch)
            if ended:
                await response.write(b"event: ended\ndata: {}\n\n")
        except ConnectionResetError:
            pass  # the page was closed
        return response

    async def _stream(self, request: web.Request, response: web.StreamResponse, watch: PageWatch) -> bool:
        """Sends the Space's page text as it changes; True when the Space ended, False when the stream stopped
        (the page left, or its ticket was refunded: said with the reason)."""
        loop = asyncio.get_running_loop()
        sent = {"message": "", "captions": ""}
        version, checked, quiet_since = 0, loop.time(), loop.time()
        # aiohttp does not cancel a handler whose client left: a page closed while nothing changes is noticed by
        # waking every CLOSED_CHECK seconds at most.
        while request.transport is not None:
            now = loop.time()
            if now - checked >= self.admission_recheck:
                # A ticket refunded while the page is open ends its stream (state and captions) within seconds.
                checked = now
                refused = await self._refusal(request, watch.room)
                if refused is not None:
                    await response.write(f"event: refused\ndata: {json.dumps({'reason': refused})}\n\n".encode())
                    return False
            wake = min(self.admission_recheck - (now - checked), self.keepalive - (now - quiet_since), CLOSED_CHECK)
            text = await self.pages.next(watch, version, max(wake, 0.0))
            if not text.live:
                return True
            version = text.version
            wrote = await _send_if_changed(response, sent, "message", text.message)
            wrote |= await _send_if_changed(response, sent, "captions", text.captions)
            if wrote:
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= self.keepalive:
                await response.write(b": keep-alive\n")  # a comment: browsers ignore it, proxies see traffic
                quiet_since = loop.time()
        return False

    def state(self, room: SpaceAudio) -> dict[str, Any]:
        return page_state(room, self._who, self._place_of(room.space.guild_id))


def _names_only(name_of: Callable[[int, int], str]) -> Who:
    return lambda guild, user: Someone(name_of(guild, user))


async def _send_if_changed(response: web.StreamResponse, sent: dict[str, str], event: str, text: str) -> bool:
    """One server-sent event of type `event` (`message` is the unnamed default) unless it repeats the last one."""
    if text == sent[event]:
        return False
    name = "" if event == "message" else f"event: {event}\n"
    await response.write(f"{name}data: {text}\n\n".encode())
    sent[event] = text
    return True


async def _offered_sdp(request: web.Request, timeout: float) -> str:  # noqa: ASYNC109 - bounds the body's arrival
    """The SDP text of an offer's body, or 400 saying what is wrong with the body."""
    try:
        async with asyncio.timeout(timeout):  # a slow sender must not hold a handler
            text = await request.text()
    except TimeoutError:
        raise web.HTTPRequestTimeout(text="The offer's body took too long to arrive.") from None
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep, still within the size limit
        raise web.HTTPBadRequest(text='The offer must be JSON: {"sdp": "<the SDP offer>"}.') from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=f'The offer must be a JSON object {{"sdp": ...}}, not {_json_type(body)}.')
    sdp = body.get("sdp")
    if not isinstance(sdp, str) or not sdp:
        kind = "empty" if sdp == "" else _json_type(sdp) if "sdp" in body else "missing"
        raise web.HTTPBadRequest(text=f'The offer\'s "sdp" must be the SDP offer as text; it is {kind}.')
    return sdp


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)
