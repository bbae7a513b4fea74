"""ListenerHeap with real aiortc listeners: connected peers are set aside from the collector; departed ones freed.

The collector is process-wide, so each test starts and ends with nothing frozen (the rest of the run collects as
usual).
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Iterator

import pytest
from aiortc import RTCPeerConnection

from spaces_core.webrtc.heap import ListenerHeap
from spaces_core.webrtc.listeners import WebListeners
from tests.audio.test_webrtc import LOOPBACK, Listener, ToneSpace, space, wait_until

__all__ = ["space"]  # the fixture, shared with the web listeners' tests


@pytest.fixture(autouse=True)
def nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.collect()


def tracked(item: object) -> bool:
    """Whether the collector walks ``item`` (frozen objects are in none of its generations)."""
    return any(other is item for other in gc.get_objects())


def server_peers(listeners: WebListeners) -> list[RTCPeerConnection]:
    return list(listeners._listeners)


@pytest.fixture
async def heap() -> AsyncIterator[ListenerHeap]:
    heap = ListenerHeap(settle_seconds=0.05, thaw_after=2)
    yield heap
    heap.close()


async def test_a_connected_listeners_peer_is_left_out_of_collections(space: ToneSpace, heap: ListenerHeap) -> None:
    listeners = WebListeners(space.hub, host=LOOPBACK, heap=heap)
    listener = Listener()
    try:
        track = await listener.join(listeners)
        [peer] = server_peers(listeners)
        assert tracked(peer)  # made after the last freeze: walked by every full collection

        await listener.frames(track, 5)  # connected: its transports, DTLS and SRTP are built
        await wait_until(lambda: not tracked(peer))  # frozen soon after it connected
        assert heap.freezes >= 1
        assert not tracked(peer.getTransceivers()[0].sender.transport)
        assert heap.live == 1 and heap.thaws == 0

        await listener.frames(track, 25)  # and the listener goes on hearing the Space
    finally:
        await listener.pc.close()
        await listeners.close_all()


async def test_departed_listeners_peers_are_freed_when_enough_have_left(space: ToneSpace, heap: ListenerHeap) -> None:
    listeners = WebListeners(space.hub, host=LOOPBACK, heap=heap)
    clients = [Listener(), Listener(), Listener()]
    try:
        tracks = [await client.join(listeners) for client in clients]
        await asyncio.gather(*(client.frames(track, 5) for client, track in zip(clients, tracks, strict=True)))
        first, second, staying = (weakref.ref(peer) for peer in server_peers(listeners))
        await wait_until(lambda: not any(tracked(peer()) for peer in (first, second, staying)))

        await clients[0].pc.close()
        await wait_until(lambda: listeners.count == 2)
        gc.collect()
        # One left, fewer than thaw_after: its peer is a cycle of frozen objects, which no collection frees.
        assert first() is not None and heap.thaws == 0

        await clients[1].pc.close()
        await wait_until(lambda: heap.thaws == 1)
        # Two left: thawed, collected once, frozen again; both departed peers are gone, the third listens on.
        assert listeners.count == 1 and heap.live == 1
        assert first() is None and second() is None
        assert staying() is not None and not tracked(staying())
        await clients[2].frames(tracks[2], 10)
    finally:
        for client in clients:
            await client.pc.close()
        await listeners.close_all()


async def test_the_thaw_waits_for_half_of_the_audience_to_turn_over() -> None:
    heap = ListenerHeap(settle_seconds=0.01, thaw_after=4)
    try:
        for _ in range(100):
            heap.arrived()
        heap.left(32)  # 32 left: under half of the 68 still here
        assert not heap.thaw_due and heap.live == 68
        heap.left(1)  # 33 left: half of the 67 still here (and over thaw_after)
        assert heap.thaw_due and heap.live == 67
        await wait_until(lambda: heap.thaws == 1)
        assert not heap.thaw_due
        heap.left(3)  # counted from the thaw again
        assert not heap.thaw_due
        heap.left(64)  # everyone gone: thaw_after is the floor
        assert heap.thaw_due and heap.live == 0
        await wait_until(lambda: heap.thaws == 2)
        assert gc.get_freeze_count() > 0  # what is alive after a thaw is frozen again
    finally:
        heap.close()
