"""The mix as plain RTP to every edge's mountpoint: one relay-hub sink per Space, one packet built per frame.

The streaming plugin's RTP mountpoint takes Opus in RTP (payload type 111, as the mountpoint is created) on a
UDP port and relays it to its viewers over WebRTC, re-sequencing per viewer. So the bot packs each 20 ms frame
once and sends the same bytes to each edge's port; an edge that is down just does not receive them (UDP needs
no connection), so a dead edge costs the sender nothing and one that comes back is fed at once.
"""

from __future__ import annotations

import errno
import logging
import secrets
import socket
import struct
from typing import Final

from spaces_core.audio.relay import EncodedFrame

__all__ = ["OPUS_PAYLOAD_TYPE", "RtpSink", "rtp_packet"]

_log = logging.getLogger(__name__)
OPUS_PAYLOAD_TYPE: Final = 111
_HEADER = struct.Struct("!BBHII")
_VERSION_2: Final = 0x80
_MARKER: Final = 0x80
# Errors a datagram to a missing or congested edge may report; the next frame is tried all the same.
_TRANSIENT = {errno.ECONNREFUSED, errno.EAGAIN, errno.ENOBUFS, errno.EHOSTUNREACH, errno.ENETUNREACH}


def rtp_packet(frame: EncodedFrame, ssrc: int) -> bytes:
    """RFC 3550 header (no CSRC, no extension) + the Opus payload; the marker on the stream's first packet."""
    marker = _MARKER if frame.sequence == 0 else 0
    header = _HEADER.pack(
        _VERSION_2, marker | OPUS_PAYLOAD_TYPE, frame.sequence & 0xFFFF, frame.timestamp & 0xFFFFFFFF, ssrc
    )
    return header + frame.payload


class RtpSink:
    """``hub.attach(sink)``: sends each frame to every destination in ``destinations`` (changed at will)."""

    def __init__(self) -> None:
        self.destinations: dict[str, tuple[str, int]] = {}  # edge name -> (RTP host, mountpoint port)
        self.ssrc = secrets.randbits(32)
        self.sent = 0
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    async def send(self, frame: EncodedFrame) -> None:
        if not self.destinations or self._socket.fileno() == -1:  # nowhere to send, or closed
            return
        packet = rtp_packet(frame, self.ssrc)
        for destination in list(self.destinations.values()):
            try:
                self._socket.sendto(packet, destination)
            except OSError as error:
                if error.errno not in _TRANSIENT:
                    raise
        self.sent += 1

    def close(self) -> None:
        self._socket.close()

    def __repr__(self) -> str:
        return f"RtpSink({sorted(self.destinations)})"
