"""Single-port ICE: every web listener's host candidate on ONE UDP socket, demultiplexed by remote address.

Why it exists: aioice binds a socket per ICE connection, so the fan-out had to make one ``sendto`` system call
per listener per frame. With every listener on one socket (as Janus and mediasoup do), a frame leaves in a few
``sendmmsg`` calls (``sendmmsg``). aioice keeps doing everything else per listener (its ``StunProtocol``,
checks, consent, DTLS and RTCP receive): each listener's protocol gets a ``_Channel`` that looks like its own
datagram transport, and the port routes every datagram it receives to the right one:
- a STUN Binding request by its USERNAME (``<our ufrag>:<their ufrag>``, RFC 8445 7.2.2), which is unique per
  ICE connection; the request's source address is then that connection's (aioice still checks its integrity);
- anything else (STUN responses, DTLS, SRTCP) by source address: an address is a connection's once it sent a
  request that reached the connection, or once the connection sent to it (its own checks and consent).
Datagrams from an address no connection knows are dropped (counted in ``unrouted``).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import string
import struct
from typing import Any, Final, cast

from aioice import Candidate, Connection
from aioice.candidate import candidate_foundation, candidate_priority
from aioice.ice import StunProtocol

from spaces_core.webrtc import compat

__all__ = ["IceBindError", "SharedIcePort"]

_BUFFER_BYTES: Final = 4 * 1024 * 1024  # thousands of listeners' RTCP/STUN in, a whole frame's packets out
_STUN_COOKIE: Final = b"\x21\x12\xa4\x42"
_BINDING_REQUEST: Final = b"\x00\x01"
_USERNAME: Final = 0x0006
_ATTRIBUTE: Final = struct.Struct("!HH")
# aioice draws a 4-character ufrag (62**4 values): on one port 2,000 listeners would share one 13 % of the time
# (the birthday bound), and the later one could never connect. Eight characters make that about 1 in 10**7,
# and a draw already on the port is drawn again.
_UFRAG_LENGTH: Final = 8
_UFRAG_ALPHABET: Final = string.ascii_letters + string.digits
Address = tuple[str, int]


class IceBindError(OSError):
    """No UDP socket could be bound on the configured address (wrong interface, address not local)."""


def _username_ufrag(data: bytes) -> bytes | None:
    """The recipient's ufrag from a STUN request's USERNAME attribute, or None."""
    end = min(len(data), 20 + int.from_bytes(data[2:4], "big"))
    position = 20
    while position + 4 <= end:
        kind, length = _ATTRIBUTE.unpack_from(data, position)
        if kind == _USERNAME:
            return data[position + 4 : position + 4 + length].split(b":", 1)[0]
        position += 4 + ((length + 3) & ~3)
    return None


class _Channel(asyncio.DatagramTransport):
    """One ICE connection's view of the shared socket: what aioice's ``StunProtocol`` takes as its transport."""

    def __init__(self, port: SharedIcePort, protocol: StunProtocol, ufrag: bytes) -> None:
        super().__init__()
        self.port = port
        self.protocol = protocol
        self.ufrag = ufrag
        self.addresses: set[Address] = set()
        self._closing = False

    def sendto(self, data: Any, addr: Any = None) -> None:
        if self._closing:
            return
        address = (addr[0], addr[1])
        if address not in self.addresses:
            self.port.route(address, self)
        self.port.transport.sendto(data, address)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "shared_port":
            return self.port
        return self.port.transport.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self.port.forget(self)
        asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()


class SharedIcePort(asyncio.DatagramProtocol):
    """One UDP socket carrying every listener's ICE, DTLS, SRTP and SRTCP; see the module docstring."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport
        self._by_ufrag: dict[bytes, _Channel] = {}
        self._by_address: dict[Address, _Channel] = {}
        self.unrouted = 0

    @classmethod
    async def open(cls, host: str, port: int = 0) -> SharedIcePort:
        loop = asyncio.get_running_loop()
        try:
            _, shared = await loop.create_datagram_endpoint(cls, local_addr=(host, port))
        except OSError as error:
            raise IceBindError(f"could not bind a UDP socket for ICE on {host}: {error.strerror}") from error
        sock = shared.socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _BUFFER_BYTES)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER_BYTES)
        return shared

    @property
    def socket(self) -> socket.socket:
        sock: socket.socket = self.transport.get_extra_info("socket")
        return sock

    @property
    def address(self) -> Address:
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    @property
    def connections(self) -> int:
        return len(self._by_ufrag)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        address = (addr[0], addr[1])
        channel: _Channel | None
        if data[:2] == _BINDING_REQUEST and data[4:8] == _STUN_COOKIE:
            ufrag = _username_ufrag(data)
            channel = None if ufrag is None else self._by_ufrag.get(ufrag)
            if channel is not None and self._by_address.get(address) is not channel:
                self.route(address, channel)
        else:
            channel = self._by_address.get(address)
        if channel is None:
            self.unrouted += 1
            return
        channel.protocol.datagram_received(data, address)

    def error_received(self, exc: Exception) -> None:
        """An ICMP error on an unconnected socket names no listener; consent checks find the dead ones."""

    def add(self, connection: Connection, component: int) -> Candidate:
        """A host candidate on this port for ``connection``: its protocol's transport is a channel of ours.

        The connection gets a ufrag of its own on this port (requests are routed by it), so call this before the
        local description is made: aiortc reads the ufrag from the connection when it writes the SDP.
        """
        ufrag = self._unused_ufrag()
        compat.aioice.set_local_username(connection, ufrag.decode())
        protocol = StunProtocol(connection)
        channel = _Channel(self, protocol, ufrag)
        protocol.connection_made(channel)
        host, port = self.address
        protocol.local_candidate = Candidate(
            foundation=candidate_foundation("host", "udp", host),
            component=component,
            transport="udp",
            priority=candidate_priority(component, "host"),
            host=host,
            port=port,
            type="host",
        )
        self._by_ufrag[ufrag] = channel
        compat.aioice.add_protocol(connection, protocol)
        return protocol.local_candidate

    def _unused_ufrag(self) -> bytes:
        while True:
            ufrag = "".join(secrets.choice(_UFRAG_ALPHABET) for _ in range(_UFRAG_LENGTH)).encode()
            if ufrag not in self._by_ufrag:
                return ufrag

    def route(self, address: Address, channel: _Channel) -> None:
        previous = self._by_address.get(address)
        if previous is not None:
            previous.addresses.discard(address)
        self._by_address[address] = channel
        channel.addresses.add(address)

    def forget(self, channel: _Channel) -> None:
        if self._by_ufrag.get(channel.ufrag) is channel:
            del self._by_ufrag[channel.ufrag]
        for address in channel.addresses:
            if self._by_address.get(address) is channel:
                del self._by_address[address]
        channel.addresses.clear()

    def close(self) -> None:
        self.transport.close()
