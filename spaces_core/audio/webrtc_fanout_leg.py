"""One web listener on the fan-out's fast path: the per-listener state taken over from aiortc at hand-over.

``webrtc_fanout`` explains why and what; this module holds what is reached below aiortc's public API for ONE
listener (its SRTP session, RTP header, sender counters and RTCP task, ICE pair) and checks it at hand-over:
on a mismatch ``FanoutLeg`` raises ``Unsupported`` and the caller keeps the listener on aiortc's own sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
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

__all__ = [
    "BUFFER_SIZE",
    "REPORT_EVERY_FRAMES",
    "FanoutLeg",
    "Unsupported",
    "available",
    "ffi",
    "srtp_protect",
    "srtp_protect_rtcp",
]

_binding: Any = importlib.import_module("pylibsrtp._binding")  # cffi, no type information
ffi: Any = _binding.ffi
srtp_protect: Any = _binding.lib.srtp_protect
srtp_protect_rtcp: Any = _binding.lib.srtp_protect_rtcp
_PROTECT_SIGNATURE: Final = "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"  # libsrtp 2.x

BUFFER_SIZE: Final = 1500
REPORT_EVERY_FRAMES: Final = 250  # a sender report per listener every 5 s, Chromium's interval for audio

_SENDER_INTERNALS: Final = (
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__octet_count",
    "_RTCRtpSender__cname",
    "_RTCRtpSender__rtcp_started",
    "_RTCRtpSender__rtcp_task",
)


class Unsupported(Exception):
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
        "batched",
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
        "slot",
        "slot_length",
        "slot_view",
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
            raise Unsupported(f"its DTLS transport is {dtls.state}, not connected")
        session = getattr(dtls, "_tx_srtp", None)
        if not isinstance(session, Session) or not hasattr(session, "_srtp"):
            raise Unsupported("aiortc's DTLS transport has no SRTP session where 1.16 keeps it")
        if not all(hasattr(sender, name) for name in _SENDER_INTERNALS):
            raise Unsupported("aiortc's sender keeps its RTCP state elsewhere than 1.16 did")
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
        self._fanout: Any = None  # the SrtpFanout that sends to it
        # Where send_frame builds this leg's packet, set by the fan-out: a slot of its sendmmsg batch when the
        # leg's ICE runs on the fan-out's shared port (``batched``), its scratch buffer otherwise.
        self.batched = False
        self.slot: Any = None
        self.slot_view: memoryview = memoryview(b"")
        self.slot_length: Any = None
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

    def on_port(self, port: object) -> bool:
        """Whether this leg's ICE pair runs on ``port`` (a ``SharedIcePort``): its packets can join the batch."""
        return port is not None and self._pair.protocol.transport.get_extra_info("shared_port") is port

    def _sync(self) -> bool | None:
        """Give the sender our counters (its getStats) and follow an ICE re-nomination.

        None if ICE is gone, True if the pair changed (a new destination), False otherwise.
        """
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
            self._send_rtcp(bytes(RtcpByePacket(sources=[self.ssrc])))
        self.socket.close()
        if self._on_state is not None:
            self._dtls.remove_listener("statechange", self._on_state)
            self._on_state = None
        self._closed.set()

    def _send_rtcp(self, packet: bytes) -> None:
        buffer = ffi.new("char[]", BUFFER_SIZE)
        length = ffi.new("int *", len(packet))
        ffi.memmove(buffer, packet, len(packet))
        if not srtp_protect_rtcp(self.srtp, buffer, length):
            with contextlib.suppress(OSError):
                self.sendto(ffi.buffer(buffer, length[0]), self.address)


def available() -> bool:
    """Whether the installed pylibsrtp binding is the libsrtp 2.x one this module calls."""
    return str(ffi.typeof(srtp_protect).cname) == _PROTECT_SIGNATURE


def _selected_pair(connection: Any) -> Any:
    nominated = getattr(connection, "_nominated", None)
    if not isinstance(nominated, dict):
        raise Unsupported("aioice keeps its selected pair elsewhere than 0.13 did")
    pair = nominated.get(1)
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
    codecs = getattr(transceiver, "_codecs", None)
    if not codecs or codecs[0].mimeType.lower() != "audio/opus":
        raise Unsupported("the negotiated codec is not Opus")
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
        raise Unsupported("abs-send-time was negotiated: the header would change with every packet")
    return header(1, 0), steady
