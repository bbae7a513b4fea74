"""Receiving the speakers' audio on the bot's voice connection.

discord.py 2.7 only sends audio. The receive extension ``discord-ext-voice-recv`` is an alpha that rebuilds much
of the voice client and follows discord.py's private internals release by release, so we keep a small receiver
of our own that uses only what discord.py offers to subclasses: ``VoiceClient.create_connection_state`` (we
pass the voice websocket hook ``VoiceConnectionState`` accepts, to see SPEAKING messages) and that state's
``add_socket_listener`` (its UDP reader thread hands us every datagram). No monkeypatching.

Transport decryption is ``aead_xchacha20_poly1305_rtpsize`` with PyNaCl, the mirror of discord.py's sender:
the RTP header (with the 4-byte extension header, if any) is the additional data, the nonce is the packet's
last 4 bytes zero-padded to 24, and the extension's data words lead the decrypted plaintext. Stage channels
carry no end-to-end (DAVE) layer; a connection that negotiated DAVE is not decoded (see ``decrypt``'s caller).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
import nacl.exceptions
import nacl.secret
from discord.voice_state import VoiceConnectionState

from spaces_core.audio import RtpAudio

__all__ = ["AudioSink", "ReceiveStats", "ReceivingVoiceClient", "VoiceReceiver", "decrypt_rtpsize"]

log = logging.getLogger(__name__)

AudioSink = Callable[[int, RtpAudio, float], None]  # member id, packet, arrival (monotonic seconds)
OP_SPEAKING, OP_CLIENT_DISCONNECT = 5, 13
_RTCP_TYPES = range(200, 205)  # Discord also sends RTCP on the same socket: receiver reports, not audio


def decrypt_rtpsize(datagram: bytes, box: nacl.secret.Aead) -> tuple[int, RtpAudio] | None:
    """(SSRC, packet) from one ``aead_xchacha20_poly1305_rtpsize`` datagram; None for RTCP or a bad packet."""
    if len(datagram) < 12 + 4 + 16 or datagram[0] >> 6 != 2 or datagram[1] in _RTCP_TYPES:
        return None
    header_len = 12 + 4 * (datagram[0] & 0x0F)
    extended = bool(datagram[0] & 0x10)
    if extended:
        header_len += 4
    if len(datagram) < header_len + 16 + 4:
        return None
    header, body, nonce = datagram[:header_len], datagram[header_len:-4], datagram[-4:]
    try:
        plain = box.decrypt(body, header, nonce + bytes(20))
    except nacl.exceptions.CryptoError:
        return None
    if extended:
        words = struct.unpack_from(">H", header, header_len - 2)[0]
        plain = plain[4 * words :]
    sequence, timestamp, ssrc = struct.unpack_from(">HII", datagram, 2)
    return ssrc, RtpAudio(sequence=sequence, timestamp=timestamp, payload=plain)


@dataclass(slots=True)
class ReceiveStats:
    packets: int = 0
    undecryptable: int = 0
    unknown_ssrc: int = 0  # audio before its SPEAKING message, or from someone who left


class VoiceReceiver:
    """SSRC → member from SPEAKING messages; datagrams decrypted on discord.py's reader thread, then handed to
    ``sink`` on the event loop (the mix engine is loop-owned and not thread-safe)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sink: AudioSink) -> None:
        self._loop = loop
        self._sink = sink
        self._members: dict[int, int] = {}  # ssrc -> user id; read on the reader thread, swapped whole
        self._box: tuple[bytes, nacl.secret.Aead] | None = None
        self.stats = ReceiveStats()

    def member_of(self, ssrc: int) -> int | None:
        return self._members.get(ssrc)

    def on_voice_message(self, message: dict[str, Any]) -> None:
        op, data = message.get("op"), message.get("d") or {}
        if op == OP_SPEAKING and "ssrc" in data and "user_id" in data:
            self._members = {**self._members, int(data["ssrc"]): int(data["user_id"])}
        elif op == OP_CLIENT_DISCONNECT and "user_id" in data:
            gone = int(data["user_id"])
            self._members = {ssrc: user for ssrc, user in self._members.items() if user != gone}

    def on_datagram(self, datagram: bytes, key: bytes) -> None:
        """Reader thread. ``key`` is the connection's current secret key (it changes on reconnect)."""
        arrival = time.monotonic()
        if self._box is None or self._box[0] != key:
            self._box = (key, nacl.secret.Aead(key))
        received = decrypt_rtpsize(datagram, self._box[1])
        if received is None:
            self.stats.undecryptable += 1
            return
        ssrc, packet = received
        member = self._members.get(ssrc)
        if member is None:
            self.stats.unknown_ssrc += 1
            return
        self.stats.packets += 1
        with contextlib.suppress(RuntimeError):  # the loop closed while the reader still drained the socket
            self._loop.call_soon_threadsafe(self._sink, member, packet, arrival)


class ReceivingVoiceClient(discord.VoiceClient):
    """discord.py's voice client plus a receiver; connect with ``channel.connect(cls=ReceivingVoiceClient)``."""

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        self.receiver: VoiceReceiver | None = None
        self._receiving_state: VoiceConnectionState | None = None
        super().__init__(client, channel)

    def create_connection_state(self) -> VoiceConnectionState:
        self._receiving_state = VoiceConnectionState(self, hook=self._on_voice_message)
        return self._receiving_state

    def listen(self, receiver: VoiceReceiver) -> None:
        """Start handing this connection's audio to ``receiver`` (replacing any earlier one)."""
        first = self.receiver is None
        self.receiver = receiver
        if first and self._receiving_state is not None:
            self._receiving_state.add_socket_listener(self._on_datagram)

    async def _on_voice_message(self, _ws: Any, message: dict[str, Any]) -> None:
        if self.receiver is not None:
            self.receiver.on_voice_message(message)

    def _on_datagram(self, datagram: bytes) -> None:
        receiver = self.receiver
        if receiver is None or self.mode != "aead_xchacha20_poly1305_rtpsize":
            return
        receiver.on_datagram(datagram, bytes(self.secret_key))

    async def disconnect(self, *, force: bool = False) -> None:
        if self._receiving_state is not None:
            self._receiving_state.remove_socket_listener(self._on_datagram)
        self.receiver = None
        await super().disconnect(force=force)
