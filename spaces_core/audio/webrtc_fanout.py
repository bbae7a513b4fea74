"""Per-packet fan-out below aiortc: the mix's one Opus packet to every connected web listener in one loop.

Why it exists: through aiortc's sender every listener costs, per 20 ms packet, a track ``recv`` coroutine, an
``RtpPacket`` object, ``RTCDtlsTransport._send_rtp`` → ``RTCIceTransport`` → aioice → asyncio's transport, each
an ``await``: about 35 µs of CPU, so one core carries some 550 listeners. Most of that is Python around the
two things that must happen per listener, SRTP with its keys and one ``sendto`` (together ~6 µs here).

What aiortc still does for each listener: signalling, ICE (and its consent checks), the DTLS handshake that keys
SRTP, RTCP in both directions (its sender reports read the packet/octet counters this module keeps current),
and teardown. Once a listener's DTLS transport is connected, ``SrtpFanout.add`` takes over its media: each frame
is, per listener, the RTP header aiortc would have written (its SSRC, payload type and header extensions, our
sequence and timestamp, since aiortc's sender never sends a packet of its own) → libsrtp ``srtp_protect`` in
place, on the very session aiortc's ``RTCDtlsTransport`` keyed → a non-blocking ``sendto`` on the socket of the
ICE pair aioice selected. A send that would block drops that listener's packet (counted), a broken socket drops
that listener; neither holds up the others. ``sendmmsg`` cannot batch here: every listener has a socket of its
own (one ICE candidate per peer), and it sends one packet per frame.

Reached below the public API (each checked at hand-over; on a mismatch ``add`` returns None and the caller keeps
the listener on aiortc's own sender): ``RTCDtlsTransport._tx_srtp``, the transceiver's negotiated ``_codecs``
and ``_headerExtensions``, aioice's ``Connection._nominated`` pair, pylibsrtp's cffi binding and session pointer,
and the sender's four name-mangled RTCP counters.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import socket
import struct
from typing import Any, Final

from aiortc import RTCRtpTransceiver, clock
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import HeaderExtensionsMap, RtpPacket
from aiortc.utils import random32
from pylibsrtp import Session

from spaces_core.audio.relay import EncodedFrame, RelayClosed, RelayHub, Subscription

__all__ = ["FanoutLeg", "SrtpFanout"]

_log = logging.getLogger(__name__)

_binding: Any = importlib.import_module("pylibsrtp._binding")  # cffi, no type information
_ffi: Any = _binding.ffi
_srtp_protect: Any = _binding.lib.srtp_protect
_PROTECT_SIGNATURE: Final = "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"  # libsrtp 2.x

_BUFFER_SIZE: Final = 1500
_SRTP_TRAILER_MAX: Final = 16 + 128  # pylibsrtp's own bound (auth tag + MKI)
_SEQUENCE_AND_TIMESTAMP: Final = struct.Struct("!HI")  # RTP header bytes 2..7
_MARKER: Final = 0x80  # in header byte 1
SYNC_EVERY_FRAMES: Final = 5  # the sender's RTCP counters and the ICE pair are refreshed every 100 ms
DEFAULT_QUEUE_FRAMES: Final = 10  # as the per-listener tracks: a stalled loop skips ahead rather than bursts

# The sender's counters its RTCP task puts into each sender report (aiortc 1.16, name-mangled).
_SENDER_COUNTERS: Final = (
    "_RTCRtpSender__ntp_timestamp",
    "_RTCRtpSender__rtp_timestamp",
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__octet_count",
)


class _Unsupported(Exception):
    """This listener cannot take the fast path (why is logged); aiortc's sender keeps it."""


class FanoutLeg:
    """One listener's state on the fast path: its RTP header, SRTP context, socket, counters."""

    __slots__ = (
        "_closed",
        "_connection",
        "_dtls",
        "_fanout",
        "_on_state",
        "_pair",
        "_sender",
        "_session",
        "address",
        "dropped",
        "header",
        "header_len",
        "octets",
        "packets",
        "rtp_timestamp",
        "send_errors",
        "sendto",
        "sequence",
        "socket",
        "srtp",
        "ssrc",
        "steady_header",
        "timestamp_origin",
    )

    def __init__(self, transceiver: RTCRtpTransceiver) -> None:
        sender = transceiver.sender
        dtls = sender.transport
        if dtls.state != "connected":
            raise _Unsupported(f"its DTLS transport is {dtls.state}, not connected")
        session = getattr(dtls, "_tx_srtp", None)
        if not isinstance(session, Session) or not hasattr(session, "_srtp"):
            raise _Unsupported("aiortc's DTLS transport has no SRTP session where 1.16 keeps it")
        self._connection = getattr(dtls.transport, "_connection", None)
        self._pair = _selected_pair(self._connection)
        if not all(hasattr(sender, name) for name in _SENDER_COUNTERS):
            raise _Unsupported("aiortc's sender keeps its RTCP counters elsewhere than 1.16 did")
        self._sender: Any = sender
        self._dtls = dtls
        self._session = session  # held: the libsrtp context below lives as long as this object
        self.srtp: Any = session._srtp[0]
        self.ssrc: int = sender._ssrc
        self.header, self.steady_header = _header_templates(transceiver, self.ssrc)
        self.header_len = len(self.header)
        self.sequence = random_sequence_number()  # as aiortc's sender would: low half, no early wrap
        self.timestamp_origin = random32()
        self.socket, self.address = _dup_socket(self._pair)
        self.sendto = self.socket.sendto
        self.packets = 0
        self.octets = 0  # payload octets, as RTCP sender reports count them
        self.dropped = 0  # packets a full socket buffer refused
        self.send_errors = 0
        self.rtp_timestamp = self.timestamp_origin
        self._closed = asyncio.Event()
        self._on_state: Any = None
        self._fanout: SrtpFanout | None = None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Leave the fan-out (idempotent): no packet is sent to this listener after this returns."""
        if self._fanout is not None:
            self._fanout.remove(self)
        else:
            self._release()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def _sync(self, ntp_time: int) -> bool:
        """Hand the sender's RTCP task our counters and follow an ICE re-nomination; False if ICE is gone."""
        sender = self._sender
        sender._RTCRtpSender__ntp_timestamp = ntp_time
        sender._RTCRtpSender__rtp_timestamp = self.rtp_timestamp
        sender._RTCRtpSender__packet_count = self.packets
        sender._RTCRtpSender__octet_count = self.octets
        try:
            pair = _selected_pair(self._connection)
        except _Unsupported:
            return False
        if pair is not self._pair:
            self.socket.close()
            self._pair = pair
            self.socket, self.address = _dup_socket(pair)
            self.sendto = self.socket.sendto
        return True

    def _release(self) -> None:
        if self._closed.is_set():
            return
        self.socket.close()
        if self._on_state is not None:
            self._dtls.remove_listener("statechange", self._on_state)
            self._on_state = None
        self._closed.set()


class SrtpFanout:
    """Sends each frame the hub publishes to every leg; a leg leaves when its transport or socket ends."""

    def __init__(self, hub: RelayHub, *, queue_frames: int = DEFAULT_QUEUE_FRAMES) -> None:
        self._hub = hub
        self._queue_frames = queue_frames
        self._legs: dict[FanoutLeg, None] = {}  # insertion-ordered, O(1) removal
        self._fresh: list[FanoutLeg] = []  # legs whose first packet (marker bit set) is still to go
        self._subscription: Subscription | None = None
        self._buffer: Any = _ffi.new("char[]", _BUFFER_SIZE)
        self._view = memoryview(_ffi.buffer(self._buffer))
        self._length: Any = _ffi.new("int *")
        self._frames = 0
        self._closed = False
        self.frames_too_large = 0
        self.legs_failed = 0

    @property
    def count(self) -> int:
        return len(self._legs)

    @property
    def legs(self) -> list[FanoutLeg]:
        return list(self._legs)

    def add(self, transceiver: RTCRtpTransceiver) -> FanoutLeg | None:
        """Take over a connected listener's media; None if it must stay on aiortc's sender."""
        if self._closed or not available():
            return None
        try:
            leg = FanoutLeg(transceiver)
        except (_Unsupported, OSError) as why:
            _log.warning("web listener stays on aiortc's own sender: %s", why)
            return None
        if self._subscription is None:
            try:
                self._subscription = self._hub.attach(self, queue_frames=self._queue_frames)
            except RelayClosed:
                leg._release()
                return None

        def on_state() -> None:  # DTLS closed or failed: the listener is gone, whatever the peer says later
            if leg._dtls.state != "connected":
                self.remove(leg)

        leg._on_state = on_state
        leg._dtls.on("statechange", on_state)
        leg._fanout = self
        self._legs[leg] = None
        self._fresh.append(leg)
        return leg

    def remove(self, leg: FanoutLeg) -> None:
        """Stop sending to ``leg`` (idempotent); whoever waits on ``leg.wait_closed()`` wakes."""
        if leg in self._legs:
            del self._legs[leg]
            leg._release()

    async def close(self) -> None:
        self._closed = True
        for leg in list(self._legs):
            self.remove(leg)
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await self._hub.detach(subscription)

    async def send(self, frame: EncodedFrame) -> None:
        """The hub's sink interface; the work is synchronous, one pass over every leg."""
        self.send_frame(frame)

    def send_frame(self, frame: EncodedFrame) -> None:
        payload = frame.payload
        size = len(payload)
        if size > _BUFFER_SIZE - _SRTP_TRAILER_MAX - 64:  # 64: room for the header and its extensions
            self.frames_too_large += 1  # never from our encoder (Opus: at most 1,275 bytes)
            return
        buffer, view, length = self._buffer, self._view, self._length
        protect, pack_into, timestamp = _srtp_protect, _SEQUENCE_AND_TIMESTAMP.pack_into, frame.timestamp
        failed: list[FanoutLeg] = []
        for leg in self._legs:
            start = leg.header_len
            end = start + size
            view[:start] = leg.header
            rtp_timestamp = (leg.timestamp_origin + timestamp) & 0xFFFFFFFF
            pack_into(view, 2, leg.sequence, rtp_timestamp)
            view[start:end] = payload
            length[0] = end
            if protect(leg.srtp, buffer, length):
                failed.append(leg)  # libsrtp refused (the session was torn down): nothing else will work
                continue
            try:
                leg.sendto(view[: length[0]], leg.address)
            except BlockingIOError:
                leg.dropped += 1  # its socket buffer is full: this listener loses this packet, nobody waits
            except OSError:
                leg.send_errors += 1
                failed.append(leg)
                continue
            else:
                leg.packets += 1
                leg.octets += size
            # A dropped packet still used its number (and SRTP index): the listener sees it as network loss.
            leg.sequence = (leg.sequence + 1) & 0xFFFF
            leg.rtp_timestamp = rtp_timestamp
        self._after_frame(failed)

    def _after_frame(self, failed: list[FanoutLeg]) -> None:
        for leg in failed:
            self.legs_failed += 1
            self.remove(leg)
        for leg in self._fresh:
            leg.header = leg.steady_header
        self._fresh.clear()
        self._frames += 1
        if self._frames % SYNC_EVERY_FRAMES == 0:
            ntp_time = clock.current_ntp_time()
            for leg in [leg for leg in self._legs if not leg._sync(ntp_time)]:
                self.remove(leg)


def available() -> bool:
    """Whether the installed pylibsrtp binding is the libsrtp 2.x one this module calls."""
    return str(_ffi.typeof(_srtp_protect).cname) == _PROTECT_SIGNATURE


def _selected_pair(connection: Any) -> Any:
    nominated = getattr(connection, "_nominated", None)
    if not isinstance(nominated, dict):
        raise _Unsupported("aioice keeps its selected pair elsewhere than 0.13 did")
    pair = nominated.get(1)
    if pair is None:
        raise _Unsupported("ICE has no selected pair (closed or not yet connected)")
    return pair


def _dup_socket(pair: Any) -> tuple[socket.socket, tuple[str, int]]:
    """Our own handle on the pair's UDP socket: a dup, so aioice closing its fd never lets us write to a reused one."""
    transport_socket = pair.protocol.transport.get_extra_info("socket")
    if transport_socket is None:
        raise _Unsupported("the ICE pair's transport has no socket")
    own = socket.socket(fileno=os.dup(transport_socket.fileno()))
    own.setblocking(False)
    host, port = pair.remote_addr
    return own, (host, port)


def _header_templates(transceiver: RTCRtpTransceiver, ssrc: int) -> tuple[bytes, bytes]:
    """The RTP header aiortc's sender would write for this listener (first packet marked, then not).

    Sequence and timestamp are zero here; ``send_frame`` writes them into bytes 2..7 of each copy.
    """
    codecs = getattr(transceiver, "_codecs", None)
    if not codecs or codecs[0].mimeType.lower() != "audio/opus":
        raise _Unsupported("the negotiated codec is not Opus")
    extensions = HeaderExtensionsMap()
    extensions.configure(RTCRtpSendParameters(headerExtensions=list(getattr(transceiver, "_headerExtensions", []))))

    def header(marker: int, abs_send_time: int) -> bytes:
        packet = RtpPacket(payload_type=codecs[0].payloadType, marker=marker, sequence_number=0, timestamp=0)
        packet.ssrc = ssrc
        packet.extensions.mid = transceiver.mid
        packet.extensions.abs_send_time = abs_send_time
        return packet.serialize(extensions)

    steady = header(0, 0)
    if header(0, 0xFFFFFF) != steady:
        raise _Unsupported("abs-send-time was negotiated: the header would change with every packet")
    return header(1, 0), steady
