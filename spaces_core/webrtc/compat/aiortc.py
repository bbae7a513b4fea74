"""Every read and write of aiortc's private names, for the fan-out (and the tests and benchmarks that watch it).

Written against aiortc 1.16.0 (``PINNED``); ``problem()`` says whether the installed one still matches. Why each
is needed is in ``spaces_core.webrtc.fanout``: in short, the fan-out sends a listener's RTP and RTCP itself on
the SRTP session aiortc's DTLS transport keyed, so it needs that session, the RTP header aiortc would write
(SSRC, negotiated codec and header extensions), and to keep aiortc's sender quiet but its statistics right.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiortc import RTCDtlsTransport, RTCIceGatherer, RTCIceTransport, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver

from spaces_core.webrtc.compat.check import missing_names, version_problem

__all__ = [
    "PINNED",
    "PRIVATE_NAMES",
    "cancel_sender_rtcp",
    "gatherer_connection",
    "ice_connection",
    "negotiated_codecs",
    "negotiated_header_extensions",
    "problem",
    "receive_srtp",
    "receiver_handlers",
    "send_raw",
    "sender_cname",
    "sender_has_rtcp_state",
    "sender_packet_count",
    "sender_ssrc",
    "set_receiver_handlers",
    "set_sender_counters",
    "silence_sender_rtcp",
    "transport_srtp",
]

PINNED: Final = "1.16.0"
Handler = Callable[[Any], Awaitable[None]]

_SENDER: Final = (
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__octet_count",
    "_RTCRtpSender__cname",
    "_RTCRtpSender__rtcp_started",
    "_RTCRtpSender__rtcp_task",
    "_ssrc",
    "_send_rtcp",
)
_PER_CLASS: Final[dict[type, tuple[str, ...]]] = {
    RTCRtpSender: _SENDER,
    RTCDtlsTransport: ("_tx_srtp", "_rx_srtp", "_send_rtp"),
    RTCRtpTransceiver: ("_codecs", "_headerExtensions"),
    RTCIceTransport: ("_connection",),
    RTCIceGatherer: ("_connection",),
    RTCRtpReceiver: ("_handle_rtp_packet", "_handle_rtcp_packet"),
}
PRIVATE_NAMES: Final = frozenset(name for names in _PER_CLASS.values() for name in names)


def problem() -> str | None:
    """None when the installed aiortc is the one this module was written for, else why not."""
    version = version_problem("aiortc", PINNED)
    if version is not None:
        return version
    for cls, names in _PER_CLASS.items():
        missing = missing_names(cls, names)
        if missing:
            return f"aiortc's {cls.__name__} no longer uses {', '.join(missing)}"
    return None


def _private(instance: object) -> Any:
    """The instance untyped: what follows is below the library's typed API."""
    return instance


# --- the DTLS transport: its SRTP sessions and raw send


def transport_srtp(dtls: RTCDtlsTransport) -> Any:
    """The SRTP session aiortc protects this transport's outgoing packets with (None before DTLS keys it)."""
    return getattr(dtls, "_tx_srtp", None)


def receive_srtp(dtls: RTCDtlsTransport) -> Any:
    """The session that unprotects what arrives (a benchmark's hand-made client decrypts with it)."""
    return getattr(dtls, "_rx_srtp", None)


async def send_raw(dtls: RTCDtlsTransport, data: bytes) -> None:
    """Protect and send an RTP or RTCP packet as aiortc's own senders do."""
    await _private(dtls)._send_rtp(data)


# --- the sender: SSRC, CNAME, counters and its RTCP task


def sender_has_rtcp_state(sender: RTCRtpSender) -> bool:
    """Whether this sender instance has every attribute the other functions here touch."""
    return all(hasattr(sender, name) for name in _SENDER)


def sender_ssrc(sender: RTCRtpSender) -> int:
    ssrc: int = _private(sender)._ssrc
    return ssrc


def sender_cname(sender: RTCRtpSender) -> str | None:
    """The CNAME its sender reports carry (the answer's a=ssrc cname), once the sender has started."""
    cname: str | None = _private(sender)._RTCRtpSender__cname
    return cname


def sender_packet_count(sender: RTCRtpSender) -> int:
    count: int = _private(sender)._RTCRtpSender__packet_count
    return count


def set_sender_counters(sender: RTCRtpSender, packets: int, octets: int) -> None:
    """What its ``getStats`` reports as sent: the fan-out's counts, as the sender sends nothing itself."""
    _private(sender)._RTCRtpSender__packet_count = packets
    _private(sender)._RTCRtpSender__octet_count = octets


async def _no_rtcp(packets: object) -> None:
    """Stands in for the sender's ``_send_rtcp``: its reports would carry aiortc's counters, not ours."""


def silence_sender_rtcp(sender: RTCRtpSender) -> None:
    """The sender's RTCP (reports, its parting BYE) goes nowhere from now on: the fan-out sends its own."""
    _private(sender)._send_rtcp = _no_rtcp


def cancel_sender_rtcp(sender: RTCRtpSender) -> None:
    """Cancel the sender's RTCP task once it has started (so the sender's stop() does not wait for it forever)."""
    task: Any = _private(sender)._RTCRtpSender__rtcp_task
    started: Any = _private(sender)._RTCRtpSender__rtcp_started
    if task is not None and not task.done() and started.is_set():
        task.cancel()


# --- the transceiver: what was negotiated


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[Any]:
    """The codecs the answer settled on, preferred first (empty before negotiation)."""
    return list(getattr(transceiver, "_codecs", []))


def negotiated_header_extensions(transceiver: RTCRtpTransceiver) -> list[Any]:
    return list(getattr(transceiver, "_headerExtensions", []))


# --- ICE: aioice's connection under aiortc's transport and gatherer


def ice_connection(transport: RTCIceTransport) -> Any:
    """The aioice ``Connection`` under this ICE transport, or None."""
    return getattr(transport, "_connection", None)


def gatherer_connection(gatherer: RTCIceGatherer) -> Any:
    """The aioice ``Connection`` this gatherer gathers for, or None."""
    return getattr(gatherer, "_connection", None)


# --- the receiver (tests and benchmarks watch what a listener receives)


def receiver_handlers(receiver: RTCRtpReceiver) -> tuple[Handler, Handler]:
    """The receiver's RTP and RTCP handlers, which its DTLS transport calls for each packet."""
    return _private(receiver)._handle_rtp_packet, _private(receiver)._handle_rtcp_packet


def set_receiver_handlers(receiver: RTCRtpReceiver, rtp: Handler, rtcp: Handler | None = None) -> None:
    _private(receiver)._handle_rtp_packet = rtp
    if rtcp is not None:
        _private(receiver)._handle_rtcp_packet = rtcp
