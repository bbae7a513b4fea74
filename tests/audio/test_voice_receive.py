"""Transport decryption of received voice packets (aead_xchacha20_poly1305_rtpsize), as discord.py encrypts."""

from __future__ import annotations

import struct

import nacl.secret

from bot.audio.voice_receive import decrypt_rtpsize

KEY = bytes(range(32))


def packet(payload: bytes, *, extension: bytes = b"", nonce: int = 7, key: bytes = KEY) -> bytes:
    first = 0x90 if extension else 0x80
    header = struct.pack(">BBHII", first, 0x78, 300, 96000, 4242)
    if extension:
        header += struct.pack(">HH", 0xBEDE, len(extension) // 4)
    counter = struct.pack(">I", nonce)
    sealed = nacl.secret.Aead(key).encrypt(extension + payload, header, counter + bytes(20)).ciphertext
    return header + sealed + counter


def test_decrypts_and_strips_the_header_extension() -> None:
    box = nacl.secret.Aead(KEY)
    for extension in (b"", bytes([0x10, 0x7F, 0, 0]), bytes(8)):
        received = decrypt_rtpsize(packet(b"opus frame", extension=extension), box)
        assert received is not None
        ssrc, audio = received
        assert (ssrc, audio.sequence, audio.timestamp, audio.payload) == (4242, 300, 96000, b"opus frame")


def test_rejects_tampering_a_wrong_key_rtcp_and_runts() -> None:
    box = nacl.secret.Aead(KEY)
    good = bytearray(packet(b"opus frame"))
    tampered = bytes(good[:3]) + bytes([good[3] ^ 1]) + bytes(good[4:])  # the header is authenticated too
    assert decrypt_rtpsize(tampered, box) is None
    assert decrypt_rtpsize(packet(b"opus frame", key=bytes(32)), box) is None
    rtcp = bytes([0x81, 201]) + bytes(40)
    assert decrypt_rtpsize(rtcp, box) is None
    assert decrypt_rtpsize(bytes(good[:20]), box) is None
