"""The compiled fan-out loop against libsrtp itself: the bytes it builds are what the Python loop's steps give.

Each leg here has a real pylibsrtp session; a second session with the same key protects the packet the Python
way (header template, sequence, timestamp, payload, then ``Session.protect``) and a receiving session checks it.
The loop with real aiortc listeners, through ``SrtpFanout``, is in test_fanout.py and test_fanout_port.py.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import pytest
from pylibsrtp import Policy, Session

from spaces_core.webrtc import compat, fanout_loop
from tests.missing import C_LOOP

SLOT = 1536
HEADER = bytes.fromhex("80 6f 0000 00000000 11223344 bede0001 10300000".replace(" ", ""))  # Opus, SSRC, mid "0"


@pytest.fixture
def loop() -> Any:
    module = fanout_loop.load()
    if module is None:
        pytest.skip(C_LOOP)
    return module


class Legs:
    """``count`` legs in C structs, each with its own libsrtp session and slot, and a twin session per leg."""

    def __init__(self, loop: Any, count: int) -> None:
        ffi = loop.ffi
        self.loop = loop
        self.keys = [os.urandom(30) for _ in range(count)]
        self.sessions = [Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND)) for key in self.keys]
        self.twins = [Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND)) for key in self.keys]
        self.slots = ffi.new("char[]", count * SLOT)
        self.lengths = ffi.new("int[]", count)
        self.states = [ffi.new("struct fanout_leg *") for _ in range(count)]
        for index, state in enumerate(self.states):
            state.srtp = compat.pylibsrtp.session_context(self.sessions[index])
            state.slot = self.slots + index * SLOT
            state.length = self.lengths + index
            state.timestamp_origin = 0xFFFFFF00 + index  # wraps within a few frames
            state.sequence = 0xFFFE  # wraps at the third packet
            state.header = HEADER
            state.header_len = len(HEADER)
        self.array = ffi.new("struct fanout_leg *[]", self.states)
        self.refused = ffi.new("int[]", count)
        self.protect = fanout_loop.protect_function(ffi)

    def build(self, payload: bytes, timestamp: int) -> list[int]:
        count = self.loop.lib.fanout_build(
            self.array, len(self.states), payload, len(payload), timestamp, self.protect, self.refused
        )
        return [self.refused[index] for index in range(count)]

    def packet(self, index: int) -> bytes:
        return bytes(self.loop.ffi.buffer(self.slots + index * SLOT, self.lengths[index]))


def python_packet(sequence: int, timestamp: int, payload: bytes) -> bytes:
    packet = bytearray(HEADER + payload)
    struct.pack_into("!HI", packet, 2, sequence, timestamp)
    return bytes(packet)


def test_each_leg_gets_the_packet_the_python_steps_would_protect(loop: Any) -> None:
    legs = Legs(loop, 3)
    for frame in range(4):
        payload = os.urandom(60 + frame)
        assert legs.build(payload, frame * 960) == []
        for index, state in enumerate(legs.states):
            sequence = (0xFFFE + frame) & 0xFFFF
            timestamp = (0xFFFFFF00 + index + frame * 960) & 0xFFFFFFFF
            expected = legs.twins[index].protect(python_packet(sequence, timestamp, payload))
            assert legs.packet(index) == expected  # same SRTP index, same key: byte for byte
            assert state.rtp_timestamp == timestamp
    for state in legs.states:
        assert (state.packets, state.sequence) == (4, 2)  # 0xFFFE + 4, wrapped
        assert state.octets == sum(60 + frame for frame in range(4))


def test_a_receiver_with_the_key_gets_header_and_payload_back(loop: Any) -> None:
    legs = Legs(loop, 2)
    payload = b"opus frame" * 10
    legs.build(payload, 48000)
    for index in range(2):
        receiver = Session(Policy(key=legs.keys[index], ssrc_type=Policy.SSRC_ANY_INBOUND))
        plain = receiver.unprotect(legs.packet(index))
        assert plain == python_packet(0xFFFE, (0xFFFFFF00 + index + 48000) & 0xFFFFFFFF, payload)


def test_a_leg_libsrtp_refuses_is_reported_and_the_others_are_built(loop: Any) -> None:
    legs = Legs(loop, 3)
    # A header claiming 15 CSRCs is longer than the packet: srtp_protect refuses it (bad parameter).
    legs.states[1].header = b"\x8f" + HEADER[1:]
    payload = bytes(20)

    assert legs.build(payload, 0) == [1]
    assert [state.packets for state in legs.states] == [1, 0, 1]  # the refused one is not counted as sent
    assert legs.states[1].sequence == 0xFFFE
    assert legs.packet(2) == legs.twins[2].protect(python_packet(0xFFFE, 0xFFFFFF02, payload))


def test_a_build_from_another_version_of_the_source_is_not_used(loop: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert fanout_loop.load() is loop
    monkeypatch.setattr(fanout_loop, "SOURCE_HASH", "0" * 16)  # as if the C source had changed since
    assert fanout_loop.load() is None
