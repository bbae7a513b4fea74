"""Web listeners over WebRTC (aiortc), all sharing the one Opus encode of the mix.

``WebListeners`` answers a listener's SDP offer with a peer connection that sends a ``RelayTrack``, on host
candidates of one configured address (no STUN/TURN: this relay is for the embedded deployment; production
fans out through Janus), and drops peers that fail, close or never connect.

Two ways a listener's packets leave, both carrying the hub's shared bytes (nobody re-encodes):
- the fast path (default): when aiortc's sender starts, i.e. right after DTLS connects, the listener's track
  hands it to ``SrtpFanout`` (``fanout``), which sends every listener's packet in one loop per frame;
  the track then yields nothing and aiortc's sender sends neither RTP nor sender reports of its own (the
  fan-out sends both; the listener's receiver reports still reach aiortc);
- aiortc's own sender, for anything the fast path cannot take (``SrtpFanout.add`` returns None), when it is
  turned off, or when the installed aiortc, aioice or pylibsrtp is not the version ``compat`` was written for
  (checked once, when the listeners are built; the reason is logged): ``RelayTrack.recv()`` returns the hub's
  frame as an ``av.Packet`` (pts = the 48 kHz timestamp), which the sender's codec ``pack()`` only wraps.
  (aiortc still constructs one idle Opus encoder object per sender; it is never fed a frame.) The hub's publish
  (the mix engine's 20 ms heartbeat) is the only clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import SessionDescription
from av.stream import Stream

from spaces_core.audio.format import SAMPLE_RATE
from spaces_core.audio.relay import EncodedFrame, RelayClosed, RelayHub, Subscription
from spaces_core.webrtc import compat
from spaces_core.webrtc.fanout import FanoutLeg, SrtpFanout
from spaces_core.webrtc.heap import ListenerHeap
from spaces_core.webrtc.ice import gather_host_candidates
from spaces_core.webrtc.port import SharedIcePort

__all__ = ["BadOffer", "ListenerRejected", "RelayTrack", "WebListeners", "to_packet"]

_log = logging.getLogger(__name__)

_TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
# 10 frames (200 ms), not the hub's 500 ms: a browser's jitter buffer already rides out network jitter, and
# a listener whose socket stalls longer is better skipped ahead to live than played ever further behind.
LISTENER_QUEUE_FRAMES: Final = 10
DEFAULT_CONNECT_TIMEOUT: Final = 20.0  # ICE + DTLS on a real network finish in a few seconds or never
REAP_INTERVAL: Final = 1.0
_GONE_STATES: Final = frozenset({"failed", "closed"})
# The listen page offers one audio section; a few more (a client offering video too) are harmless, but each one
# costs aiortc a transceiver, so an offer of hundreds is refused before aiortc parses it.
MAX_MEDIA_SECTIONS: Final = 8
_MEDIA_LINE: Final = re.compile(r"^m=", re.MULTILINE)


class ListenerRejected(Exception):
    """The offer cannot be served: the Space is full, its audio has ended, or the offer is not one we can answer."""


class BadOffer(ListenerRejected):
    """The offer itself is wrong (not SDP, no audio, no Opus, too many sections): the client's mistake, not ours."""


def to_packet(frame: EncodedFrame) -> av.Packet[Stream]:
    """The shared frame as what aiortc sends verbatim: ``pack()`` turns pts into the RTP timestamp."""
    packet: av.Packet[Stream] = av.Packet(frame.payload)
    packet.pts = frame.timestamp
    packet.time_base = _TIME_BASE
    return packet


class RelayTrack(MediaStreamTrack):
    """One listener's view of the mix: encoded Opus frames from the hub, never PCM."""

    kind = "audio"

    def __init__(self, hub: RelayHub, *, queue_frames: int = LISTENER_QUEUE_FRAMES) -> None:
        super().__init__()
        self._hub = hub
        self._queue_frames = queue_frames
        self._subscription: Subscription | None = None
        self.frames_sent = 0
        # Set by whoever owns the peer: asked once, at the first recv, to take this listener onto the fast path.
        self.take_over: Callable[[], FanoutLeg | None] | None = None
        self.leg: FanoutLeg | None = None

    @property
    def dropped(self) -> int:
        """Frames this listener lost because it fell more than the queue behind (or its socket was full)."""
        if self.leg is not None:
            return self.leg.dropped
        return 0 if self._subscription is None else self._subscription.dropped

    async def recv(self) -> av.Packet[Stream]:
        if self.readyState != "live":
            raise MediaStreamError
        if self._subscription is None and self.leg is None and self.take_over is not None:
            # The first recv comes from aiortc's sender starting, right after DTLS connected: the moment
            # the fast path can take the listener. From then on this track never yields a packet.
            self.leg = self.take_over()
        if self.leg is not None:
            await self.leg.wait_closed()
            self.stop()
            raise MediaStreamError
        if self._subscription is None:
            # Subscribed at the first recv, i.e. once the sender starts after DTLS: frames published while
            # the listener was still connecting would otherwise burst out at once, a stale half second.
            try:
                self._subscription = self._hub.subscribe(queue_frames=self._queue_frames)
            except RelayClosed:
                self.stop()
                raise MediaStreamError from None
        try:
            frame = await self._subscription.recv()
        except RelayClosed:
            self.stop()
            raise MediaStreamError from None
        self.frames_sent += 1
        return to_packet(frame)

    def stop(self) -> None:
        super().stop()
        if self._subscription is not None:
            self._hub.unsubscribe(self._subscription)
        if self.leg is not None:
            self.leg.close()


@dataclass(eq=False)
class _Listener:
    pc: RTCPeerConnection
    track: RelayTrack
    deadline: float  # loop time by which it must be connected
    connected: bool = field(default=False)


class WebListeners:
    """Every web listener of one Space's mix: answers offers, tracks the peers, drops the dead ones."""

    def __init__(
        self,
        hub: RelayHub,
        *,
        host: str = "127.0.0.1",
        max_listeners: int = 1000,
        queue_frames: int = LISTENER_QUEUE_FRAMES,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        fast_path: bool = True,
        single_port: bool = True,
        compiled: bool | None = None,
        heap: ListenerHeap | None = None,
    ) -> None:
        """``compiled``: whether the fast path builds packets in C (``SrtpFanout``); None = when it is built.
        ``heap``: the process's ``ListenerHeap``, told of every listener that arrives, connects and leaves.
        ``fast_path`` and ``single_port`` are turned off (and why logged) if ``compat`` does not fit the libraries."""
        self.fallback_reason = _library_problem(fast_path, single_port)
        if self.fallback_reason is not None:
            fast_path = single_port = False
        self._hub = hub
        self._host = host
        self._max_listeners = max_listeners
        self._queue_frames = queue_frames
        self._connect_timeout = connect_timeout
        self._heap = heap
        self._fanout = SrtpFanout(hub, queue_frames=queue_frames, compiled=compiled) if fast_path else None
        self._single_port = single_port
        self._port: SharedIcePort | None = None
        self._port_lock = asyncio.Lock()
        self._listeners: dict[RTCPeerConnection, _Listener] = {}
        self._answering = 0  # offers being answered: each holds a place, so the cap holds however many arrive at once
        self._connected = 0  # listeners whose peer connected and has not left since
        self._peak = 0
        self._wake = asyncio.Event()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def count(self) -> int:
        return len(self._listeners)

    @property
    def connected(self) -> int:
        """Listeners whose peer connection is up (``count`` also holds those still connecting)."""
        return self._connected

    @property
    def peak(self) -> int:
        """The most listeners connected at once so far (the recap's web peak); an offer never answered or a
        peer that never connected does not count."""
        return self._peak

    @property
    def tracks(self) -> list[RelayTrack]:
        return [listener.track for listener in self._listeners.values()]

    @property
    def port(self) -> SharedIcePort | None:
        """The one UDP socket every listener's ICE runs on (single-port ICE), once the first offer opened it."""
        return self._port

    @property
    def fanout(self) -> SrtpFanout | None:
        """The fast path's sender, if on: its ``count`` is how many listeners it serves now."""
        return self._fanout

    async def offer(self, sdp: str) -> str:
        """Answer a listener's offer (receive-only audio, complete ICE, not trickled) with our SDP.

        Raises ``BadOffer`` for an offer that can never be answered, ``ListenerRejected`` when this Space cannot
        take it now (full, ended) or answering failed on our side."""
        if self._closed:
            raise ListenerRejected("the Space's audio has ended")
        _check_offer(sdp)
        if len(self._listeners) + self._answering >= self._max_listeners:
            raise ListenerRejected("this Space has as many web listeners as it can take")
        # The place is held across the awaits below and given back (finally) once the listener is in, or failed.
        self._answering += 1
        try:
            listener, answer = await self._connect(sdp)
        finally:
            self._answering -= 1
        self._listeners[listener.pc] = listener
        if self._heap is not None:
            self._heap.arrived()
        listener.pc.on("connectionstatechange", lambda: self._on_state(listener))
        self._ensure_reaper()
        return answer

    async def _connect(self, sdp: str) -> tuple[_Listener, str]:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        track = RelayTrack(self._hub, queue_frames=self._queue_frames)
        try:
            answer = await self._answer(pc, track, sdp)
            if self._closed:  # close_all() ran while we were answering
                raise ListenerRejected("the Space's audio has ended")
        except BaseException as error:
            track.stop()
            await pc.close()
            if isinstance(error, ListenerRejected) or not isinstance(error, Exception):
                raise  # ours, or a cancellation: as it is
            raise ListenerRejected(f"could not answer the offer: {error}") from error
        deadline = asyncio.get_running_loop().time() + self._connect_timeout
        return _Listener(pc, track, deadline), answer

    async def close_all(self) -> None:
        """Close every peer and stop the reaper; later offers are rejected."""
        self._closed = True
        reaper, self._reaper = self._reaper, None
        if reaper is not None:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
        listeners, self._listeners = list(self._listeners.values()), {}
        await asyncio.gather(*(self._close(listener) for listener in listeners))
        self._left(listeners)
        if self._fanout is not None:
            await self._fanout.close()
        if self._port is not None:
            self._port.close()

    async def _answer(self, pc: RTCPeerConnection, track: RelayTrack, sdp: str) -> str:
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as error:  # aiortc's parser raises ValueError, KeyError, AttributeError... on bad SDP
            detail = f": {error}" if str(error) else ""
            raise BadOffer(f"the offer is not valid SDP{detail}") from error
        transceiver = _audio_transceiver(pc)
        if not _offers_opus(sdp):
            raise BadOffer("the offer's audio has no Opus, the only codec the Space is sent in")
        # Only Opus: the packets are Opus bytes, and a PCMU "encoder" would wrap them as if they were PCMU.
        opus = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType.lower() == "audio/opus"]
        transceiver.setCodecPreferences(opus)
        pc.addTrack(track)
        if self._fanout is not None:
            track.take_over = functools.partial(self._fanout.add, transceiver)
        await gather_host_candidates(pc, self._host, await self._shared_port())
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def _shared_port(self) -> SharedIcePort | None:
        """Single-port ICE (``port``), opened at the first offer; None when turned off."""
        if not self._single_port:
            return None
        async with self._port_lock:
            if self._port is None:
                self._port = await SharedIcePort.open(self._host)
                if self._fanout is not None:
                    self._fanout.use_port(self._port)
        return self._port

    def _on_state(self, listener: _Listener) -> None:
        if listener.pc.connectionState == "connected":
            if not listener.connected:
                if self._heap is not None:
                    self._heap.settled()
                self._connected += 1
                self._peak = max(self._peak, self._connected)
            listener.connected = True
        elif listener.pc.connectionState in _GONE_STATES:
            self._wake.set()

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap(), name="web listeners reaper")

    async def _reap(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that lands just as the
            # event is set, and close_all() would then wait for this task forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REAP_INTERVAL):
                    await self._wake.wait()
            self._wake.clear()
            dead = self._take_dead(loop.time())
            # Closed together: one slow close must not hold the others, nor the next sweep, for long.
            await asyncio.gather(*(self._close(listener) for listener in dead))
            self._left(dead)

    def _take_dead(self, now: float) -> list[_Listener]:
        # Its own frame: a loop variable left in ``_reap``'s would keep the last peer alive past the heap's thaw.
        dead = [listener for listener in self._listeners.values() if _is_dead(listener, now)]
        for listener in dead:
            del self._listeners[listener.pc]
        return dead

    def _left(self, gone: list[_Listener]) -> None:
        """Tell the heap, once our own references to the closed peers are dropped (its thaw is to free them)."""
        count = len(gone)
        self._connected -= sum(1 for listener in gone if listener.connected)
        gone.clear()
        if self._heap is not None and count:
            self._heap.left(count)

    async def _close(self, listener: _Listener) -> None:
        listener.track.stop()
        try:
            # Shielded: a second close() awaits aiortc's own closing future directly, and cancelling it (close_all
            # cancels the reaper) would cancel that future, so aiortc's close then fails setting its result.
            await asyncio.shield(listener.pc.close())
        except Exception:
            # A peer already half torn down by the network may fail to close cleanly; it is gone either way.
            _log.exception("closing a web listener's peer connection failed")


def _library_problem(fast_path: bool, single_port: bool) -> str | None:
    """Why the installed libraries cannot take the fast path or single-port ICE (both reach below their public
    API, through ``compat``), or None. Checked once per ``WebListeners``: the answer cannot change in a process."""
    if not (fast_path or single_port):
        return None
    problem = compat.problem()
    if problem is not None:
        _log.warning("web listeners are sent by aiortc's own sender, each on its own socket: %s", problem)
    return problem


def _is_dead(listener: _Listener, now: float) -> bool:
    state = listener.pc.connectionState
    if state in _GONE_STATES or listener.track.readyState == "ended":
        return True
    return not listener.connected and now > listener.deadline


def _check_offer(sdp: str) -> None:
    """What can be told from the text alone, before aiortc spends anything on it."""
    sections = len(_MEDIA_LINE.findall(sdp))
    if not sdp.startswith("v=0"):
        raise BadOffer("the offer is not SDP (it must start with v=0)")
    if sections == 0:
        raise BadOffer("the offer has no audio to receive")
    if sections > MAX_MEDIA_SECTIONS:
        raise BadOffer(f"the offer has {sections} media sections; at most {MAX_MEDIA_SECTIONS} are accepted")


def _offers_opus(sdp: str) -> bool:
    """Parsed again only once aiortc accepted it (so this cannot fail): aiortc would answer an offer without Opus."""
    return any(
        media.kind == "audio" and any(codec.mimeType.lower() == "audio/opus" for codec in media.rtp.codecs)
        for media in SessionDescription.parse(sdp).media
    )


def _audio_transceiver(pc: RTCPeerConnection) -> RTCRtpTransceiver:
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "audio":
            return transceiver
    raise BadOffer("the offer has no audio to receive")
