"""Per-packet fan-out below aiortc: the mix's one Opus packet to every connected web listener in one loop.

Why it exists: through aiortc's sender every listener costs, per 20 ms packet, a track ``recv`` coroutine, an
``RtpPacket`` object, ``RTCDtlsTransport._send_rtp`` → ``RTCIceTransport`` → aioice → asyncio's transport, each
an ``await``: some 35-40 µs of CPU, so one core carries about 550 listeners. Most of that is Python around the
two things that must happen per listener, SRTP with its keys and one ``sendto``; this loop spends ~11 µs per
packet, ~9 of them in those two (docs/BENCHMARKS.md has the figures and the profile).

What aiortc still does for each listener: signalling, ICE (and its consent checks), the DTLS handshake that keys
SRTP, receiving RTCP (receiver reports reach its sender as before), and teardown. Once a listener's DTLS transport
is connected, ``SrtpFanout.add`` takes over its media: each frame is, per listener, the RTP header aiortc would
have written (its SSRC, payload type and header extensions, our sequence and timestamp, since aiortc's sender
never sends a packet of its own) → libsrtp ``srtp_protect`` in place, on the very session aiortc's
``RTCDtlsTransport`` keyed → a non-blocking ``sendto`` on the socket of the ICE pair aioice selected. A send that
would block drops that listener's packet (counted), a broken socket drops that listener; neither holds up the
others. The RTCP sender reports are sent from here too, every 5 s per listener (aiortc sends one a second, at
several times the cost of a packet), spread over the frames. ``sendmmsg`` cannot batch here: every listener has
a socket of its own (one ICE candidate per peer) and gets one packet per frame.

Reached below the public API (each checked at hand-over; on a mismatch ``add`` returns None and the caller keeps
the listener on aiortc's own sender): ``RTCDtlsTransport._tx_srtp``, the transceiver's negotiated ``_codecs``
and ``_headerExtensions``, aioice's ``Connection._nominated`` pair, pylibsrtp's cffi binding and session pointer,
and the sender's name-mangled CNAME, counters and RTCP task, and its ``_send_rtcp``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import random
import socket
import struct
from typing import Any, Final

from aiortc import RTCRtpTransceiver, clock
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import (
    HeaderExtensionsMap,
    RtcpByePacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
    RtpPacket,
)
from aiortc.utils import random32
from pylibsrtp import Session

from spaces_core.audio.relay import EncodedFrame, RelayClosed, RelayHub, Subscription

__all__ = ["FanoutLeg", "SrtpFanout"]

_log = logging.getLogger(__name__)

_binding: Any = importlib.import_module("pylibsrtp._binding")  # cffi, no type information
_ffi: Any = _binding.ffi
_srtp_protect: Any = _binding.lib.srtp_protect
_srtp_protect_rtcp: Any = _binding.lib.srtp_protect_rtcp
_PROTECT_SIGNATURE: Final = "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"  # libsrtp 2.x

_BUFFER_SIZE: Final = 1500
_SRTP_TRAILER_MAX: Final = 16 + 128  # pylibsrtp's own bound (auth tag + MKI)
_SEQUENCE_AND_TIMESTAMP: Final = struct.Struct("!HI")  # RTP header bytes 2..7
_SENDER_INFO: Final = struct.Struct("!QIII")  # RTCP SR bytes 8..27: NTP time, RTP time, packets, octets
REPORT_EVERY_FRAMES: Final = 250  # a sender report per listener every 5 s, Chromium's interval for audio
SYNC_EVERY_FRAMES: Final = 50  # once a second: the sender's counters (for its getStats) and the ICE pair
DEFAULT_QUEUE_FRAMES: Final = 10  # as the per-listener tracks: a stalled loop skips ahead rather than bursts
_SENDER_INTERNALS: Final = (
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__octet_count",
    "_RTCRtpSender__cname",
    "_RTCRtpSender__rtcp_started",
    "_RTCRtpSender__rtcp_task",
)


class _Unsupported(Exception):
    """This listener cannot take the fast path (why is logged); aiortc's sender keeps it."""


async def _no_rtcp(packets: object) -> None:
    """Stands in for the sender's ``_send_rtcp``: its reports would carry aiortc's counters, not ours."""


class FanoutLeg:
    """One listener on the fast path: its RTP header, SRTP context, socket and counters."""

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
        "report",
        "report_phase",
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
        sender: Any = transceiver.sender  # Any: its RTCP state is reached by name-mangled attributes
        dtls = sender.transport
        if dtls.state != "connected":
            raise _Unsupported(f"its DTLS transport is {dtls.state}, not connected")
        session = getattr(dtls, "_tx_srtp", None)
        if not isinstance(session, Session) or not hasattr(session, "_srtp"):
            raise _Unsupported("aiortc's DTLS transport has no SRTP session where 1.16 keeps it")
        if not all(hasattr(sender, name) for name in _SENDER_INTERNALS):
            raise _Unsupported("aiortc's sender keeps its RTCP state elsewhere than 1.16 did")
        self._connection = getattr(dtls.transport, "_connection", None)
        self._pair = _selected_pair(self._connection)
        self._sender = sender
        self._dtls = dtls
        self._session = session  # held: the libsrtp context below lives as long as this object
        self.srtp: Any = session._srtp[0]
        self.ssrc: int = sender._ssrc
        self.header, self.steady_header = _header_templates(transceiver, self.ssrc)
        self.header_len = len(self.header)
        self.report = bytes(RtcpSrPacket(ssrc=self.ssrc, sender_info=RtcpSenderInfo(0, 0, 0, 0)))
        cname = sender._RTCRtpSender__cname
        if cname is not None:  # as aiortc's own reports: SR then SDES with the CNAME of the answer's a=ssrc
            self.report += bytes(RtcpSdesPacket(chunks=[RtcpSourceInfo(self.ssrc, items=[(1, cname.encode())])]))
        self.report_phase = random.randrange(REPORT_EVERY_FRAMES)  # spread over frames, not all at once
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
        # Its RTCP task sends nothing from now on (and is cancelled at the first sync): this leg sends the
        # reports, with the counters of what it sent.
        sender._send_rtcp = _no_rtcp

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

    def _sync(self) -> bool:
        """Give the sender our counters (its getStats) and follow an ICE re-nomination; False if ICE is gone."""
        sender = self._sender
        sender._RTCRtpSender__packet_count = self.packets
        sender._RTCRtpSender__octet_count = self.octets
        rtcp = sender._RTCRtpSender__rtcp_task
        if rtcp is not None and not rtcp.done() and sender._RTCRtpSender__rtcp_started.is_set():
            # Its reports are ours now; once it has started (so stop() will not wait for it forever), its
            # once-a-second wake-ups can go too. Its parting BYE goes to the no-op; ``_release`` sends ours.
            rtcp.cancel()
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
        if self._dtls.state == "connected":  # we are the ones leaving (the Space ended): say so, as aiortc would
            self._send_rtcp(bytes(RtcpByePacket(sources=[self.ssrc])))
        self.socket.close()
        if self._on_state is not None:
            self._dtls.remove_listener("statechange", self._on_state)
            self._on_state = None
        self._closed.set()

    def _send_rtcp(self, packet: bytes) -> None:
        buffer = _ffi.new("char[]", _BUFFER_SIZE)
        length = _ffi.new("int *", len(packet))
        _ffi.memmove(buffer, packet, len(packet))
        if not _srtp_protect_rtcp(self.srtp, buffer, length):
            with contextlib.suppress(OSError):
                self.sendto(_ffi.buffer(buffer, length[0]), self.address)


class SrtpFanout:
    """Sends each frame the hub publishes to every leg; a leg leaves when its transport or socket ends."""

    def __init__(self, hub: RelayHub, *, queue_frames: int = DEFAULT_QUEUE_FRAMES) -> None:
        self._hub = hub
        self._queue_frames = queue_frames
        self._legs: dict[FanoutLeg, None] = {}  # insertion-ordered, O(1) removal
        self._fresh: list[FanoutLeg] = []  # legs whose first packet (marker bit set) is still to go
        self._reporting: list[dict[FanoutLeg, None]] = [{} for _ in range(REPORT_EVERY_FRAMES)]  # by phase
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
        self._reporting[leg.report_phase][leg] = None
        self._fresh.append(leg)
        return leg

    def remove(self, leg: FanoutLeg) -> None:
        """Stop sending to ``leg`` (idempotent); whoever waits on ``leg.wait_closed()`` wakes."""
        if leg in self._legs:
            del self._legs[leg]
            del self._reporting[leg.report_phase][leg]
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
        self._report(self._reporting[self._frames % REPORT_EVERY_FRAMES])
        self._frames += 1
        if self._frames % SYNC_EVERY_FRAMES == 0:
            for leg in [leg for leg in self._legs if not leg._sync()]:
                self.remove(leg)

    def _report(self, legs: dict[FanoutLeg, None]) -> None:
        """RTCP sender reports for this frame's share of the legs: what each was sent, and when (RFC 3550 6.4.1)."""
        if not legs:
            return
        ntp_time = clock.current_ntp_time()  # the instant of the RTP timestamp each leg just sent
        buffer, view, length, pack_into = self._buffer, self._view, self._length, _SENDER_INFO.pack_into
        for leg in legs:
            if not leg.packets:
                continue
            end = len(leg.report)
            view[:end] = leg.report
            pack_into(view, 8, ntp_time, leg.rtp_timestamp, leg.packets & 0xFFFFFFFF, leg.octets & 0xFFFFFFFF)
            length[0] = end
            if not _srtp_protect_rtcp(leg.srtp, buffer, length):
                with contextlib.suppress(OSError):  # a report lost is no loss: the next comes in 5 s
                    leg.sendto(view[: length[0]], leg.address)


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
