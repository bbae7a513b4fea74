"""One web listener on the fan-out's fast path: the per-listener state taken over from aiortc at hand-over.

``fanout`` explains why and what; this module holds the state taken from aiortc for ONE listener (its SRTP
session, RTP header, sender counters and RTCP task, ICE pair), reached through ``compat`` and checked again at
hand-over: on a mismatch ``FanoutLeg`` raises ``Unsupported`` and the caller keeps the listener on aiortc's own
sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
from typing import Any, Final

from aiortc import RTCRtpTransceiver
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

from spaces_core.webrtc import compat, fanout_loop
from spaces_core.webrtc.compat.pylibsrtp import ffi, srtp_protect_rtcp

__all__ = [
    "BUFFER_SIZE",
    "HEADER_MAX",
    "REPORT_EVERY_FRAMES",
    "FanoutLeg",
    "Unsupported",
    "available",
]

BUFFER_SIZE: Final = 1500
HEADER_MAX: Final = fanout_loop.HEADER_MAX  # the room a leg's RTP header template has, in C or not
REPORT_EVERY_FRAMES: Final = 250  # a sender report per listener every 5 s, Chromium's interval for audio


class Unsupported(Exception):
    """This listener cannot take the fast path (why is logged); aiortc's sender keeps it."""


class _Kept:
    """What the send loop updates per packet: in the leg's C struct when the compiled loop sends (the struct is
    what it reads and writes), otherwise in the leg's own ``_<name>`` slot, which the Python loop uses directly."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.own = "_" + name

    def __get__(self, leg: Any, owner: type | None = None) -> int:
        state = leg._state
        return int(getattr(leg, self.own) if state is None else getattr(state, self.name))

    def __set__(self, leg: Any, value: int) -> None:
        state = leg._state
        setattr(leg, self.own, value) if state is None else setattr(state, self.name, value)


class FanoutLeg:
    """One listener on the fast path: its RTP header, SRTP context, socket and counters."""

    __slots__ = (
        "_closed",
        "_dtls",
        "_fanout",
        "_header",
        "_ice",
        "_octets",
        "_on_state",
        "_packets",
        "_pair",
        "_rtp_timestamp",
        "_sender",
        "_sequence",
        "_session",
        "_state",
        "address",
        "batched",
        "dropped",
        "header_len",
        "report",
        "report_phase",
        "send_errors",
        "sendto",
        "slot",
        "slot_length",
        "slot_view",
        "socket",
        "srtp",
        "ssrc",
        "steady_header",
        "timestamp_origin",
    )

    # Where the Python loop keeps them (no C struct): it reads and writes these slots directly.
    _packets: int
    _octets: int
    _sequence: int
    _rtp_timestamp: int
    packets = _Kept()
    octets = _Kept()  # payload octets, as RTCP sender reports count them
    sequence = _Kept()  # of the next packet
    rtp_timestamp = _Kept()  # of the last packet

    def __init__(self, transceiver: RTCRtpTransceiver, state: Any = None) -> None:
        """``state``: a zeroed ``struct fanout_leg *`` (``fanout_loop``) when the compiled loop sends."""
        sender = transceiver.sender
        dtls = sender.transport
        if dtls.state != "connected":
            raise Unsupported(f"its DTLS transport is {dtls.state}, not connected")
        session = compat.aiortc.transport_srtp(dtls)
        srtp = compat.pylibsrtp.session_context(session) if isinstance(session, Session) else None
        if srtp is None:
            raise Unsupported("aiortc's DTLS transport has no SRTP session where 1.16 keeps it")
        if not compat.aiortc.sender_has_rtcp_state(sender):
            raise Unsupported("aiortc's sender keeps its RTCP state elsewhere than 1.16 did")
        self._ice = compat.aiortc.ice_connection(dtls.transport)
        self._pair = _selected_pair(self._ice)
        self._sender = sender
        self._dtls = dtls
        self._session = session  # held: the libsrtp context below lives as long as this object
        self.srtp: Any = srtp
        self.ssrc: int = compat.aiortc.sender_ssrc(sender)
        self._state = state
        first, self.steady_header = _header_templates(transceiver, self.ssrc)
        if len(first) > HEADER_MAX:
            raise Unsupported(f"its RTP header would be {len(first)} bytes, over the {HEADER_MAX} kept for it")
        self.header = first
        self.report = bytes(RtcpSrPacket(ssrc=self.ssrc, sender_info=RtcpSenderInfo(0, 0, 0, 0)))
        cname = compat.aiortc.sender_cname(sender)
        if cname is not None:  # as aiortc's own reports: SR then SDES with the CNAME of the answer's a=ssrc
            self.report += bytes(RtcpSdesPacket(chunks=[RtcpSourceInfo(self.ssrc, items=[(1, cname.encode())])]))
        self.report_phase = random.randrange(REPORT_EVERY_FRAMES)  # spread over frames, not all at once
        self.sequence = random_sequence_number()  # as aiortc's sender would: low half, no early wrap
        self.timestamp_origin: int = random32()
        self.socket, self.address = _dup_socket(self._pair)
        self.sendto = self.socket.sendto
        self.packets = 0
        self.octets = 0
        self.dropped = 0  # packets a full socket buffer refused
        self.send_errors = 0
        self.rtp_timestamp = self.timestamp_origin
        if state is not None:
            state.srtp = self.srtp
            state.timestamp_origin = self.timestamp_origin
        self._closed = asyncio.Event()
        self._on_state: Any = None
        self._fanout: Any = None  # the SrtpFanout that sends to it
        # Where send_frame builds this leg's packet, set by the fan-out (``place``): a slot of its sendmmsg batch
        # when the leg's ICE runs on the fan-out's shared port (``batched``), a scratch slot of its own otherwise.
        self.batched = False
        self.slot: Any = None
        self.slot_view: memoryview = memoryview(b"")
        self.slot_length: Any = None
        # Its RTCP task sends nothing from now on (and is cancelled at the first sync): this leg sends the
        # reports, with the counters of what it sent.
        compat.aiortc.silence_sender_rtcp(sender)

    @property
    def header(self) -> bytes:
        """The RTP header template of its next packet (sequence and timestamp zero)."""
        return self._header

    @header.setter
    def header(self, header: bytes) -> None:
        self._header = header
        self.header_len = len(header)
        if self._state is not None:
            self._state.header = header
            self._state.header_len = len(header)

    def place(self, slot: Any, view: memoryview, length: Any) -> None:
        """Build its packets at ``slot`` (``view`` over it) and put their protected length at ``length``."""
        self.slot, self.slot_view, self.slot_length = slot, view, length
        if self._state is not None:
            self._state.slot = slot
            self._state.length = length

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

    def on_port(self, port: object) -> bool:
        """Whether this leg's ICE pair runs on ``port`` (a ``SharedIcePort``): its packets can join the batch."""
        return port is not None and self._pair.protocol.transport.get_extra_info("shared_port") is port

    def _sync(self) -> bool | None:
        """Give the sender our counters (its getStats) and follow an ICE re-nomination.

        None if ICE is gone, True if the pair changed (a new destination), False otherwise.
        """
        compat.aiortc.set_sender_counters(self._sender, self.packets, self.octets)
        # Its reports are ours now, so its once-a-second wake-ups can go too (its parting BYE goes nowhere;
        # ``_release`` sends ours).
        compat.aiortc.cancel_sender_rtcp(self._sender)
        try:
            pair = _selected_pair(self._ice)
        except Unsupported:
            return None
        if pair is self._pair:
            return False
        self.socket.close()
        self._pair = pair
        self.socket, self.address = _dup_socket(pair)
        self.sendto = self.socket.sendto
        return True

    def _release(self) -> None:
        if self._closed.is_set():
            return
        if self._dtls.state == "connected":  # we are the ones leaving (the Space ended): say so, as aiortc would
            self._send_report(bytes(RtcpByePacket(sources=[self.ssrc])))
        self.socket.close()
        if self._on_state is not None:
            self._dtls.remove_listener("statechange", self._on_state)
            self._on_state = None
        self._closed.set()

    def _send_report(self, packet: bytes) -> None:
        buffer = ffi.new("char[]", BUFFER_SIZE)
        length = ffi.new("int *", len(packet))
        ffi.memmove(buffer, packet, len(packet))
        if not srtp_protect_rtcp(self.srtp, buffer, length):
            with contextlib.suppress(OSError):
                self.sendto(ffi.buffer(buffer, length[0]), self.address)


def available() -> bool:
    """Whether the installed pylibsrtp binding is the libsrtp 2.x one this module calls."""
    return compat.pylibsrtp.binding_supported()


def _selected_pair(connection: Any) -> Any:
    try:
        pair = compat.aioice.selected_pair(connection)
    except TypeError as why:
        raise Unsupported(str(why)) from None
    if pair is None:
        raise Unsupported("ICE has no selected pair (closed or not yet connected)")
    return pair


def _dup_socket(pair: Any) -> tuple[socket.socket, tuple[str, int]]:
    """Our own handle on the pair's UDP socket: a dup, so aioice closing its fd never lets us write to a reused one."""
    transport_socket = pair.protocol.transport.get_extra_info("socket")
    if transport_socket is None:
        raise Unsupported("the ICE pair's transport has no socket")
    own = socket.socket(fileno=os.dup(transport_socket.fileno()))
    own.setblocking(False)
    host, port = pair.remote_addr
    return own, (host, port)


def _header_templates(transceiver: RTCRtpTransceiver, ssrc: int) -> tuple[bytes, bytes]:
    """The RTP header aiortc's sender would write for this listener (first packet marked, then not).

    Sequence and timestamp are zero here; ``send_frame`` writes them into bytes 2..7 of each copy.
    """
    codecs = compat.aiortc.negotiated_codecs(transceiver)
    if not codecs or codecs[0].mimeType.lower() != "audio/opus":
        raise Unsupported("the negotiated codec is not Opus")
    extensions = HeaderExtensionsMap()
    extensions.configure(RTCRtpSendParameters(headerExtensions=compat.aiortc.negotiated_header_extensions(transceiver)))

    def header(marker: int, abs_send_time: int) -> bytes:
        packet = RtpPacket(payload_type=codecs[0].payloadType, marker=marker, sequence_number=0, timestamp=0)
        packet.ssrc = ssrc
        packet.extensions.mid = transceiver.mid
        packet.extensions.abs_send_time = abs_send_time
        return packet.serialize(extensions)

    steady = header(0, 0)
    if header(0, 0xFFFFFF) != steady:
        raise Unsupported("abs-send-time was negotiated: the header would change with every packet")
    return header(1, 0), steady
