"""Single-port ICE and the batched send: real aiortc listeners of ``WebListeners`` on the loopback.

Every listener's ICE, DTLS and media run on one UDP socket (``port``) and the fan-out sends a frame to all
of them with ``sendmmsg`` (``sendmmsg``); they must still each decode the tone, in order, and a stranger's
datagrams must reach nobody.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import AsyncIterator

import pytest
from aioice import Connection

from spaces_core.webrtc import compat
from spaces_core.webrtc.listeners import WebListeners
from spaces_core.webrtc.port import SharedIcePort
from tests.audio.test_webrtc import LOOPBACK, Listener, ToneSpace, dominant_frequency, space, to_pcm, wait_until
from tests.missing import IPV6

__all__ = ["space"]  # the fixture, imported for these tests


def candidate_ports(sdp: str) -> set[int]:
    return {int(line.split()[5]) for line in sdp.splitlines() if line.startswith("a=candidate:")}


async def joined(listeners: WebListeners, count: int) -> list[tuple[Listener, object]]:
    peers = []
    for _ in range(count):
        listener = Listener()
        peers.append((listener, await listener.join(listeners)))
    await wait_until(lambda: listeners.fanout is not None and listeners.fanout.count == count)
    return peers


@pytest.fixture
async def listeners(space: ToneSpace, compiled: bool) -> AsyncIterator[WebListeners]:
    listeners = WebListeners(space.hub, host=LOOPBACK, compiled=compiled)
    assert listeners.fanout is not None and listeners.fanout.compiled == compiled
    yield listeners
    await listeners.close_all()


async def test_every_listener_is_on_one_port_and_hears_the_tone_through_the_batch(listeners: WebListeners) -> None:
    peers = await joined(listeners, 3)
    try:
        port = listeners.port
        assert port is not None and port.connections == 3
        for listener, _ in peers:
            assert listener.pc.remoteDescription is not None
            assert candidate_ports(listener.pc.remoteDescription.sdp) == {port.address[1]}
        fanout = listeners.fanout
        assert fanout is not None
        await wait_until(lambda: fanout.batched == 3)
        for listener, track in peers:
            frames = await listener.frames(track, 50)  # type: ignore[arg-type]
            frequency, amplitude = dominant_frequency(to_pcm(frames[10:]))
            assert abs(frequency - 440) < 5 and amplitude > 0.1
        assert all(leg.dropped == 0 and leg.send_errors == 0 and leg.packets >= 50 for leg in fanout.legs)
        assert fanout.legs_failed == 0
    finally:
        for listener, _ in peers:
            await listener.pc.close()


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason=IPV6)
async def test_listeners_on_ipv6_hear_the_tone_through_the_batch(space: ToneSpace, compiled: bool) -> None:
    listeners = WebListeners(space.hub, host="::1", compiled=compiled)
    peers = [Listener("::1"), Listener("::1")]
    try:
        tracks = [await listener.join(listeners) for listener in peers]
        fanout = listeners.fanout
        assert fanout is not None and listeners.port is not None
        assert listeners.port.socket.family == socket.AF_INET6
        await wait_until(lambda: fanout.batched == 2)  # both in the sendmmsg batch, with IPv6 destinations
        for listener, track in zip(peers, tracks, strict=True):
            frames = await listener.frames(track, 50)
            frequency, amplitude = dominant_frequency(to_pcm(frames[10:]))
            assert abs(frequency - 440) < 5 and amplitude > 0.1
        assert all(leg.dropped == 0 and leg.send_errors == 0 and leg.packets >= 50 for leg in fanout.legs)
    finally:
        for listener in peers:
            await listener.pc.close()
        await listeners.close_all()


async def test_a_listener_leaving_frees_its_slot_and_the_others_keep_hearing(listeners: WebListeners) -> None:
    peers = await joined(listeners, 3)
    try:
        fanout = listeners.fanout
        assert fanout is not None
        await wait_until(lambda: fanout.batched == 3)
        await peers[0][0].pc.close()
        await wait_until(lambda: fanout.count == 2 and fanout.batched == 2, seconds=40)  # consent or DTLS close
        before = {leg: leg.packets for leg in fanout.legs}
        await wait_until(lambda: all(leg.packets >= before[leg] + 25 for leg in fanout.legs))
        assert all(leg.dropped == 0 and leg.send_errors == 0 for leg in fanout.legs)
        for listener, track in peers[1:]:  # what was sent arrived: aiortc's receiver decoded it
            assert len(await listener.frames(track, 25)) == 25  # type: ignore[arg-type]
    finally:
        for listener, _ in peers:
            await listener.pc.close()


async def test_a_strangers_datagrams_reach_no_listener(listeners: WebListeners) -> None:
    peers = await joined(listeners, 1)
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        port = listeners.port
        assert port is not None
        before = port.unrouted
        # An RTP-looking packet, and a STUN Binding request for a ufrag nobody has.
        stranger.sendto(b"\x80\x6f" + bytes(30), port.address)
        stranger.sendto(binding_request(b"nope:nope"), port.address)
        await wait_until(lambda: port.unrouted == before + 2)
        listener, track = peers[0]
        assert len(await listener.frames(track, 10)) == 10  # type: ignore[arg-type]
    finally:
        stranger.close()
        for listener, _ in peers:
            await listener.pc.close()


async def test_without_single_port_each_listener_has_its_own_socket_and_still_hears(
    space: ToneSpace, compiled: bool
) -> None:
    listeners = WebListeners(space.hub, host=LOOPBACK, single_port=False, compiled=compiled)
    peers = await joined(listeners, 2)
    try:
        assert listeners.port is None
        ports = [candidate_ports(listener.pc.remoteDescription.sdp) for listener, _ in peers]
        assert len(ports[0] | ports[1]) == 2
        fanout = listeners.fanout
        assert fanout is not None
        for listener, track in peers:
            assert len(await listener.frames(track, 25)) == 25  # type: ignore[arg-type]
        assert fanout.batched == 0
    finally:
        await listeners.close_all()
        for listener, _ in peers:
            await listener.pc.close()


async def test_a_port_on_an_address_that_is_not_ours_is_refused() -> None:
    with pytest.raises(OSError, match=r"203\.0\.113\.7"):
        await SharedIcePort.open("203.0.113.7")


async def test_connections_that_drew_the_same_ufrag_each_get_their_own_and_their_requests_reach_them() -> None:
    # aioice draws 4-character ufrags; at thousands of listeners two collide, and on one port requests are routed
    # by ufrag, so the port hands each connection a longer one of its own.
    port = await SharedIcePort.open(LOOPBACK)
    connections = [Connection(ice_controlling=False, local_username="same") for _ in range(2)]
    try:
        for connection in connections:
            port.add(connection, 1)
        ufrags = [connection.local_username for connection in connections]
        assert len(set(ufrags)) == 2 and all(len(ufrag) == 8 for ufrag in ufrags)
        assert port.connections == 2
        before = port.unrouted
        received: list[bytes] = []
        for connection in connections:  # what reaches each connection's protocol, by its own ufrag
            compat.aioice.protocols(connection)[0].datagram_received = lambda data, addr, seen=received: seen.append(
                data
            )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            for ufrag in ufrags:
                peer.sendto(binding_request(f"{ufrag}:them".encode()), port.address)
            await wait_until(lambda: len(received) == 2)
        assert port.unrouted == before
    finally:
        port.close()


def binding_request(username: bytes) -> bytes:
    attribute = struct.pack("!HH", 0x0006, len(username)) + username + bytes(-len(username) % 4)
    return struct.pack("!HHI12s", 0x0001, len(attribute), 0x2112A442, bytes(12)) + attribute
