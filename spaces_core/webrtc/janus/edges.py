"""Janus edges: a streaming mountpoint per live Space on each edge, fed by RTP, and listeners sent to the least loaded.

``Edges`` owns the configured Janus servers. For each it keeps one supervisor task that opens a Janus session,
creates a mountpoint for every live Space (and destroys those of Spaces that ended), long-polls the session's
events and, every ``check_interval``, reads each mountpoint's viewer count from Janus. Any failure of an edge (its
poll or a request failing: the process died, the host went away, Janus restarted and forgot the session) marks it
down: its mountpoints and viewers are forgotten, the Space's RTP stops going there, and the supervisor tries again
every ``retry_interval``; once the edge answers, it gets a new session and every live Space's mountpoint again. The
Space never notices: its relay hub keeps feeding the other edges, and listeners of the dead edge reconnect (the
page does, see bot/web/static/listen_edge.js) and are given a live edge.

Listeners: ``watch(space_id)`` attaches a streaming handle on the least loaded live edge and asks it to ``watch``
the Space's mountpoint; Janus answers with its SDP offer, which goes to the listener; ``answer(space, listener, sdp)``
hands the listener's answer back. The media then flows from Janus to the listener directly. Load = the viewers
Janus last reported on the edge + the listeners sent to it since, so a burst of arrivals spreads out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import aiohttp
import yarl

from spaces_core.audio.relay import RelayHub, Subscription
from spaces_core.webrtc.janus.api import JSON, JanusError, JanusSession
from spaces_core.webrtc.janus.rtp import OPUS_PAYLOAD_TYPE, RtpSink

__all__ = ["Edge", "EdgeConfig", "Edges", "NoEdge", "UnknownListener"]

log = logging.getLogger(__name__)
STREAMING: Final = "janus.plugin.streaming"
UNSTARTED_TTL: Final = 30.0  # seconds a watched handle may wait for its listener's answer before it is let go


class NoEdge(Exception):
    """No edge is up with this Space's mountpoint."""


class UnknownListener(Exception):
    """The listener id is not one this process handed out for this Space (or its edge has gone since)."""


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    name: str
    url: str  # Janus's HTTP API, e.g. http://10.0.0.2:8088/janus
    rtp_host: str  # where its mountpoints receive the RTP


@dataclass(slots=True)
class _Listener:
    edge: Edge
    space_id: str
    handle: int
    since: float
    started: bool = False


@dataclass(slots=True)
class _Space:
    mountpoint: int
    sink: RtpSink
    hub: RelayHub
    subscription: Subscription

    def stop_feeding(self) -> None:
        """Stop the hub's pump first (it exits at its next frame), then close the socket it sent on."""
        self.hub.unsubscribe(self.subscription)
        self.sink.close()


@dataclass(slots=True, eq=False)
class Edge:
    config: EdgeConfig
    up: bool = False
    session: JanusSession | None = None
    admin: int = 0  # the handle that creates, destroys and counts mountpoints
    mountpoints: dict[str, int] = field(default_factory=dict)  # space id -> its mountpoint's id
    viewers: dict[str, int] = field(default_factory=dict)  # space id -> viewers Janus reported
    sent_since_count: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # a Space opened or closed: reconcile now
    ended: list[int] = field(default_factory=list)  # viewers' handles whose connection ended: to detach

    @property
    def load(self) -> int:
        return sum(self.viewers.values()) + self.sent_since_count


class Edges:
    def __init__(
        self,
        configs: Sequence[EdgeConfig],
        *,
        api_secret: str = "",
        check_interval: float = 1.0,
        retry_interval: float = 1.0,
        unstarted_ttl: float = UNSTARTED_TTL,
    ) -> None:
        if not configs:
            raise ValueError("Edges needs at least one edge")
        self.edges = [Edge(config) for config in configs]
        self._api_secret = api_secret
        self.check_interval, self.retry_interval = check_interval, retry_interval
        self.unstarted_ttl = unstarted_ttl
        self._secret = secrets.token_hex(16)  # the mountpoints' secret: only this process reads their counts
        self._spaces: dict[str, _Space] = {}
        self._listeners: dict[str, _Listener] = {}
        self._peaks: dict[str, int] = {}  # space id -> the most viewers on all edges at once, as counted
        self._http: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        """Start each edge's supervisor (``stop`` ends them)."""
        self._http = aiohttp.ClientSession()
        self._tasks = [
            asyncio.create_task(self._supervise(edge), name=f"edge {edge.config.name}") for edge in self.edges
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for edge in self.edges:
            await self._leave(edge, destroy=True)
        for space in self._spaces.values():
            space.stop_feeding()
        self._spaces.clear()
        if self._http is not None:
            await self._http.close()

    # -- Spaces --------------------------------------------------------------------------------------------------

    def open(self, space_id: str, hub: RelayHub) -> None:
        """Feed the Space's mix to every edge; its mountpoints are created by each edge's supervisor."""
        if space_id in self._spaces:
            return
        sink = RtpSink()
        self._spaces[space_id] = _Space(secrets.randbelow(2**31 - 1) + 1, sink, hub, hub.attach(sink))
        self._wake()

    def close(self, space_id: str) -> None:
        """Stop feeding the Space; its mountpoints (and so its viewers) are destroyed on each edge."""
        space = self._spaces.pop(space_id, None)
        self._peaks.pop(space_id, None)
        if space is not None:
            space.stop_feeding()
            for listener_id in [key for key, x in self._listeners.items() if x.space_id == space_id]:
                del self._listeners[listener_id]
            self._wake()

    def _wake(self) -> None:
        for edge in self.edges:
            edge.changed.set()

    def listeners(self, space_id: str) -> int:
        """The Space's viewers on every live edge, as Janus last reported them."""
        return sum(edge.viewers.get(space_id, 0) for edge in self.edges if edge.up)

    def peak(self, space_id: str) -> int:
        """The most viewers the Space had on all edges at once, as Janus reported them."""
        return self._peaks.get(space_id, 0)

    def mountpoint(self, space_id: str) -> int | None:
        space = self._spaces.get(space_id)
        return space.mountpoint if space is not None else None

    # -- Listeners -----------------------------------------------------------------------------------------------

    async def watch(self, space_id: str) -> tuple[str, str]:
        """(listener id, Janus's SDP offer) from the least loaded live edge that has the Space's mountpoint."""
        space = self._spaces.get(space_id)
        ready = [edge for edge in self.edges if edge.up and space_id in edge.mountpoints]
        if space is None or not ready:
            raise NoEdge("No audio edge is up for this Space right now.")
        edge = min(ready, key=lambda x: x.load)
        edge.sent_since_count += 1
        assert edge.session is not None
        handle = await edge.session.attach(STREAMING)
        try:
            event = await edge.session.ask(handle, {"request": "watch", "id": space.mountpoint})
        except BaseException:
            with contextlib.suppress(JanusError):
                await edge.session.detach(handle)
            raise
        listener_id = secrets.token_urlsafe(18)
        self._listeners[listener_id] = _Listener(edge, space_id, handle, asyncio.get_running_loop().time())
        return listener_id, str(event["jsep"]["sdp"])

    async def answer(self, space_id: str, listener_id: str, answer_sdp: str) -> None:
        """Hand the listener's SDP answer to its edge; Janus then sends it the Space's audio."""
        listener = self._listeners.get(listener_id)
        if listener is None or listener.space_id != space_id or not listener.edge.up or listener.started:
            raise UnknownListener("This audio connection is unknown or has ended: press Play again.")
        session = listener.edge.session
        assert session is not None
        await session.ask(listener.handle, {"request": "start"}, {"type": "answer", "sdp": answer_sdp})
        listener.started = True

    # -- Each edge's supervisor ----------------------------------------------------------------------------------

    async def _supervise(self, edge: Edge) -> None:
        while True:
            try:
                await self._join(edge)
                async with asyncio.TaskGroup() as group:
                    assert edge.session is not None
                    group.create_task(edge.session.poll())
                    group.create_task(self._keep(edge))
            except* Exception as failed:  # JanusError above all; anything else must not end the supervisor either
                log.warning("Janus edge %s is down: %r", edge.config.name, failed.exceptions[0])
            await self._leave(edge, destroy=False)
            await asyncio.sleep(self.retry_interval)

    async def _join(self, edge: Edge) -> None:
        assert self._http is not None
        edge.session = JanusSession(self._http, edge.config.url, api_secret=self._api_secret)
        edge.session.on_event = lambda event: self._on_event(edge, event)
        await edge.session.open()
        edge.admin = await edge.session.attach(STREAMING)
        edge.up = True
        log.info("Janus edge %s is up", edge.config.name)

    async def _leave(self, edge: Edge, *, destroy: bool) -> None:
        """Forget the edge's state; with ``destroy``, first remove its mountpoints (a clean stop)."""
        edge.up = False
        session, edge.session = edge.session, None
        for space_id, mountpoint in list(edge.mountpoints.items()):
            if destroy and session is not None:
                await self._destroy(session, edge.admin, mountpoint)
            self._unfeed(edge, space_id)
        edge.viewers.clear()
        for listener_id in [key for key, x in self._listeners.items() if x.edge is edge]:
            del self._listeners[listener_id]
        if session is not None:
            with contextlib.suppress(JanusError):
                await session.close()

    async def _keep(self, edge: Edge) -> None:
        """Mountpoints follow the live Spaces; viewer counts are refreshed; unanswered watches are let go."""
        while True:
            await self._reconcile(edge)
            await self._count(edge)
            await self._let_go(edge)
            edge.changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.check_interval):
                    await edge.changed.wait()

    async def _reconcile(self, edge: Edge) -> None:
        assert edge.session is not None
        for space_id, mountpoint in list(edge.mountpoints.items()):
            if space_id not in self._spaces:  # the Space ended: its viewers are let go with the mountpoint
                await self._destroy(edge.session, edge.admin, mountpoint)
                self._unfeed(edge, space_id)
        for space_id, space in list(self._spaces.items()):
            if space_id not in edge.mountpoints:
                port = await self._create(edge.session, edge.admin, space.mountpoint)
                edge.mountpoints[space_id] = space.mountpoint
                space.sink.destinations[edge.config.name] = (edge.config.rtp_host, port)

    async def _create(self, session: JanusSession, admin: int, mountpoint: int) -> int:
        created = await session.request(admin, _mountpoint(mountpoint, self._secret))
        return int(created["stream"]["ports"][0]["port"])

    async def _destroy(self, session: JanusSession, admin: int, mountpoint: int) -> None:
        with contextlib.suppress(JanusError):  # already gone (destroyed by hand, or the edge restarted)
            await session.request(admin, {"request": "destroy", "id": mountpoint, "secret": self._secret})

    async def _count(self, edge: Edge) -> None:
        assert edge.session is not None
        for space_id in list(edge.mountpoints):
            space = self._spaces.get(space_id)
            if space is not None:
                info = await edge.session.request(
                    edge.admin, {"request": "info", "id": space.mountpoint, "secret": self._secret}
                )
                edge.viewers[space_id] = int(info["info"].get("viewers", 0))
                self._peaks[space_id] = max(self._peaks.get(space_id, 0), self.listeners(space_id))
        edge.sent_since_count = 0

    def _unfeed(self, edge: Edge, space_id: str) -> None:
        edge.mountpoints.pop(space_id, None)
        edge.viewers.pop(space_id, None)
        space = self._spaces.get(space_id)
        if space is not None:
            space.sink.destinations.pop(edge.config.name, None)

    async def _let_go(self, edge: Edge) -> None:
        """Detach the handles of viewers who left and of watches never answered: Janus keeps a handle (and counts
        an unanswered watch as a viewer) until it is detached or the session ends."""
        assert edge.session is not None
        now = asyncio.get_running_loop().time()
        for listener_id, listener in list(self._listeners.items()):
            if listener.edge is edge and not listener.started and now - listener.since > self.unstarted_ttl:
                del self._listeners[listener_id]
                edge.ended.append(listener.handle)
        ended, edge.ended = edge.ended, []
        for handle in ended:
            with contextlib.suppress(JanusError):  # already gone
                await edge.session.detach(handle)

    def _on_event(self, edge: Edge, event: JSON) -> None:
        """A viewer's PeerConnection closed (the listener left, or Janus timed it out): forget its listener id."""
        if event.get("janus") == "hangup":
            handle = event.get("sender")
            for listener_id, listener in list(self._listeners.items()):
                if listener.edge is edge and listener.handle == handle:
                    del self._listeners[listener_id]
                    edge.ended.append(listener.handle)
                    edge.changed.set()


def _mountpoint(mountpoint: int, secret: str) -> JSON:
    """An RTP mountpoint with one Opus stream on a port Janus picks from its range (its answer says which)."""
    return {
        "request": "create",
        "type": "rtp",
        "id": mountpoint,
        "secret": secret,
        "is_private": True,
        "media": [{"type": "audio", "mid": "a", "port": 0, "pt": OPUS_PAYLOAD_TYPE, "codec": "opus"}],
    }


def parse_edges(text: str) -> list[EdgeConfig]:
    """``JANUS_EDGES``: comma-separated Janus API URLs, each optionally ``@rtp-host`` (default: the URL's host)."""
    configs = []
    for number, item in enumerate(filter(None, (x.strip() for x in text.split(","))), start=1):
        url, _, rtp_host = item.partition("@")
        host = yarl.URL(url).host
        if not url.startswith(("http://", "https://")) or not host:
            raise ValueError(f"JANUS_EDGES: {item!r} is not an http(s) URL of a Janus API (http://host:8088/janus)")
        configs.append(EdgeConfig(f"edge{number}", url, rtp_host or host))
    return configs
