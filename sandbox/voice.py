"""The voice server: the voice websocket (v8) and its UDP socket (IP discovery, RTP in).

Enough for discord.py's VoiceClient to connect to a Stage and stay connected: HELLO, IDENTIFY → READY,
IP discovery, SELECT_PROTOCOL → SESSION_DESCRIPTION (DAVE off, version 0), heartbeats, SPEAKING.
``VoiceServer.on_rtp`` receives every non-discovery datagram with the session it came from.

Simulated members speak through ``send_audio``: like Discord's media server, it tells each receiving session
who the new SSRC is (SPEAKING, op 5) and forwards the speaker's Opus packets as RTP encrypted with that
receiver's own key and mode (aead_xchacha20_poly1305_rtpsize, with a one-word header extension as Discord
adds). Unlike Discord it forwards whatever a member sends, suppressed or muted: the bot must keep an
audience member out of the mix on its own, which is what the tests check.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import nacl.secret
from aiohttp import WSMsgType, web

__all__ = ["VOICE_ENDPOINT", "VoiceServer", "VoiceSession"]

_log = logging.getLogger(__name__)

JSON = dict[str, Any]
# What VOICE_SERVER_UPDATE announces; the bot's connector maps this host name to the local server.
VOICE_ENDPOINT = "voice.discord.media:443"
MODES = ["aead_xchacha20_poly1305_rtpsize", "aead_aes256_gcm_rtpsize"]
HEARTBEAT_INTERVAL_MS = 13750


@dataclass
class VoiceSession:
    token: str
    guild_id: int
    user_id: int
    session_id: str
    ssrc: int
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    mode: str | None = None
    speaking: int = 0
    connected: bool = False
    client_address: tuple[str, int] | None = None
    rtp_packets: int = 0
    send_nonce: int = 0
    announced: set[int] = field(default_factory=set)  # SSRCs this receiver was told about


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: VoiceServer) -> None:
        self._server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) == 74 and data[:2] == b"\x00\x01":
            self._answer_discovery(data, addr)
        else:
            self._server.rtp_received(data, addr)

    def _answer_discovery(self, data: bytes, addr: tuple[str, int]) -> None:
        # Response: type 2, length 70, the SSRC, the address as a NUL-padded string, the port big-endian.
        ssrc = struct.unpack_from(">I", data, 4)[0]
        self._server.bind_address(ssrc, addr)
        packet = bytearray(74)
        struct.pack_into(">HHI", packet, 0, 2, 70, ssrc)
        host = addr[0].encode()[:63]
        packet[8 : 8 + len(host)] = host
        struct.pack_into(">H", packet, 72, addr[1])
        if self.transport is not None:
            self.transport.sendto(bytes(packet), addr)


class _RtpClock:
    """One speaker's RTP numbering, as a Discord client keeps it: the sequence goes on by one a packet across
    utterances (a fresh random start for each would make a receiver drop a later utterance as late), and the
    timestamp runs at 48 kHz, contiguous within an utterance and jumping over the silence before the next."""

    def __init__(self, now: float) -> None:
        self._sequence = secrets.randbelow(1 << 16)
        self._origin, self._base = now, secrets.randbelow(1 << 32)
        self._next_sample = 0  # samples since the origin

    def utterance(self, now: float, packets: int) -> tuple[int, int]:
        """(sequence, timestamp) of the first of ``packets`` 20 ms packets starting at ``now``."""
        elapsed = int((now - self._origin) * 48_000) // 960 * 960
        first_sample = max(self._next_sample, elapsed)
        self._next_sample = first_sample + packets * 960
        sequence, self._sequence = self._sequence, (self._sequence + packets) & 0xFFFF
        return sequence, (self._base + first_sample) & 0xFFFFFFFF


class VoiceServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.udp_port = 0
        self.sessions: dict[str, VoiceSession] = {}  # by token
        self.on_rtp: list[Callable[[VoiceSession, bytes], None]] = []
        self._udp: _UdpProtocol | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._socket_of: dict[str, web.WebSocketResponse] = {}  # by token
        self._member_ssrc: dict[tuple[int, int], int] = {}
        self._next_ssrc = 1000
        self._clocks: dict[int, _RtpClock] = {}  # by SSRC

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self), local_addr=(self.host, 0))
        self._udp = protocol
        self.udp_port = transport.get_extra_info("sockname")[1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=4000, message=b"server stopping")
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()

    def issue(self, guild_id: int, user_id: int, session_id: str) -> tuple[str, str]:
        """A fresh voice token for the gateway's VOICE_SERVER_UPDATE, replacing the user's previous one."""
        for token, old in list(self.sessions.items()):
            if old.guild_id == guild_id and old.user_id == user_id:
                del self.sessions[token]
        self._next_ssrc += 1
        token = secrets.token_hex(8)
        self.sessions[token] = VoiceSession(token, guild_id, user_id, session_id, ssrc=self._next_ssrc)
        return token, VOICE_ENDPOINT

    def session_for(self, guild_id: int, user_id: int) -> VoiceSession | None:
        return next((s for s in self.sessions.values() if (s.guild_id, s.user_id) == (guild_id, user_id)), None)

    def ssrc_of(self, guild_id: int, user_id: int) -> int:
        """The SSRC a member's audio carries: their session's, or one kept for a simulated member."""
        session = self.session_for(guild_id, user_id)
        if session is not None:
            return session.ssrc
        if (guild_id, user_id) not in self._member_ssrc:
            self._next_ssrc += 1
            self._member_ssrc[guild_id, user_id] = self._next_ssrc
        return self._member_ssrc[guild_id, user_id]

    async def send_audio(
        self,
        guild_id: int,
        user_id: int,
        packets: Sequence[bytes],
        receivers: Callable[[], list[VoiceSession]],
        *,
        paced: bool = True,
    ) -> int:
        """Forward one member's Opus packets to ``receivers()`` (asked again for every packet, so who joins or
        leaves meanwhile is followed), one per 20 ms when paced. Returns the number of datagrams sent."""
        ssrc = self.ssrc_of(guild_id, user_id)
        loop = asyncio.get_running_loop()
        start, sent = loop.time(), 0
        sequence, timestamp = self._clocks.setdefault(ssrc, _RtpClock(start)).utterance(start, len(packets))
        for index, payload in enumerate(packets):
            if paced:
                await asyncio.sleep(max(0.0, start + index * 0.02 - loop.time()))
            header = struct.pack(
                ">BBHII", 0x90, 0x78, (sequence + index) & 0xFFFF, (timestamp + index * 960) & 0xFFFFFFFF, ssrc
            )
            for session in receivers():
                # No media before the connection has chosen its encryption (SELECT_PROTOCOL), as on Discord: IP
                # discovery gives the address a moment earlier.
                ready = session.client_address is not None and session.mode is not None
                if session.user_id == user_id or not ready or self._udp is None:
                    continue
                if ssrc not in session.announced:
                    session.announced.add(ssrc)
                    await self._speaking_to(session, user_id, ssrc)
                if self._udp.transport is not None:
                    self._udp.transport.sendto(_encrypt(session, header, payload), session.client_address)
                    sent += 1
        return sent

    async def _speaking_to(self, session: VoiceSession, user_id: int, ssrc: int) -> None:
        ws = self._socket_of.get(session.token)
        if ws is not None:
            await self._send(ws, 5, {"user_id": str(user_id), "ssrc": ssrc, "speaking": 1})

    def bind_address(self, ssrc: int, addr: tuple[str, int]) -> None:
        for session in self.sessions.values():
            if session.ssrc == ssrc:
                session.client_address = addr

    def rtp_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12:
            return
        ssrc = struct.unpack_from(">I", data, 8)[0]
        session = next((s for s in self.sessions.values() if s.ssrc == ssrc), None)
        if session is None:
            return
        session.rtp_packets += 1
        for callback in self.on_rtp:
            callback(session, data)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: VoiceSession | None = None
        try:
            await self._send(ws, 8, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "v": 8})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    session = await self._on_frame(ws, session, json.loads(msg.data)) or session
        finally:
            if session is not None:
                session.connected = False
                if self._socket_of.get(session.token) is ws:
                    del self._socket_of[session.token]
            self._sockets.discard(ws)
        return ws

    async def _send(self, ws: web.WebSocketResponse, op: int, data: Any) -> None:
        with contextlib.suppress(ConnectionError):
            await ws.send_str(json.dumps({"op": op, "d": data}))

    async def _on_frame(
        self, ws: web.WebSocketResponse, session: VoiceSession | None, frame: JSON
    ) -> VoiceSession | None:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == 3:
            await self._send(ws, 6, {"t": data.get("t") if isinstance(data, dict) else data})
        elif op in (0, 7):
            found = self.sessions.get(str(data.get("token")))
            if found is None or str(found.guild_id) != str(data.get("server_id")):
                await ws.close(code=4004, message=b"Authentication failed.")
                return None
            found.connected = True
            found.announced.clear()  # a new connection learns every SSRC again
            self._socket_of[found.token] = ws
            if op == 7:
                await self._send(ws, 9, None)
            else:
                ready = {"ssrc": found.ssrc, "ip": self.host, "port": self.udp_port, "modes": MODES}
                await self._send(ws, 2, {**ready, "heartbeat_interval": 1})
            return found
        elif session is None:
            await ws.close(code=4003, message=b"Not authenticated.")
        elif op == 1:
            mode = data.get("data", {}).get("mode")
            if mode not in MODES:
                await ws.close(code=4016, message=b"Unknown encryption mode.")
                return None
            session.mode = mode
            description = {
                "mode": mode,
                "secret_key": list(session.secret_key),
                "audio_codec": "opus",
                "video_codec": None,
                "media_session_id": secrets.token_hex(16),
                "dave_protocol_version": 0,
            }
            await self._send(ws, 4, description)
        elif op == 5:
            session.speaking = int(data.get("speaking") or 0)
        return None


# Discord's one-byte header extension block (RFC 8285 profile 0xBEDE) with one word of data, as its media
# server adds to forwarded audio. In the *_rtpsize modes the 4-byte block header stays in the clear (it is
# authenticated as part of the RTP header) and the extension's data is encrypted with the payload.
_EXTENSION_HEADER = struct.pack(">HH", 0xBEDE, 1)
_EXTENSION_DATA = bytes([0x10, 0x7F, 0, 0])  # id 1 (audio level), length 1, "silent", padding


def _encrypt(session: VoiceSession, header: bytes, payload: bytes) -> bytes:
    if session.mode != "aead_xchacha20_poly1305_rtpsize":
        raise NotImplementedError(
            f"the sandbox forwards audio in aead_xchacha20_poly1305_rtpsize only, not {session.mode}"
        )
    session.send_nonce = (session.send_nonce + 1) & 0xFFFFFFFF
    nonce = struct.pack(">I", session.send_nonce)
    clear = header + _EXTENSION_HEADER
    box = nacl.secret.Aead(session.secret_key)
    return clear + box.encrypt(_EXTENSION_DATA + payload, clear, nonce + bytes(20)).ciphertext + nonce
