"""Fan-out of the one encoded mix to every listener, recorder and caption feed.

The mix is encoded once per 20 ms and the *same* ``EncodedFrame`` object goes to every sink. ``publish`` is
synchronous and never awaits, and each sink has its own bounded queue: a slow sink loses its own oldest
frames (counted in ``dropped``), a dead one just stops draining, and neither can delay anyone else.
Dropping the oldest rather than the newest keeps a late listener close to live instead of ever further
behind.

Two ways to consume, both as small as aiortc's tracks:
- pull: ``hub.subscribe()`` returns a ``Subscription`` with one ``async recv()``;
- push: ``hub.attach(sink)`` for anything with one ``async send(frame)``; the hub owns the task that feeds it,
  and ``detach``/``stop`` cancel that task and wait for it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass
from typing import Final, Protocol

from spaces_core.audio.format import FRAME_SAMPLES

__all__ = ["EncodedFrame", "PacketSink", "RelayClosed", "RelayHub", "Subscription"]

_log = logging.getLogger(__name__)

DEFAULT_QUEUE_FRAMES: Final = 25  # 500 ms: rides out a GC pause or a congested socket, no more


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One 20 ms Opus packet of the mix, shared read-only by every sink."""

    payload: bytes
    sequence: int  # frames since the hub started, from 0
    timestamp: int  # in 48 kHz samples: sequence * 960 (RTP timestamp / av.Packet pts with 1/48000 time base)


class RelayClosed(Exception):
    """The subscription was removed or the hub stopped; no more frames will come."""


class PacketSink(Protocol):
    async def send(self, frame: EncodedFrame) -> None: ...


class Subscription:
    """One sink's bounded queue. Created by ``RelayHub.subscribe``/``attach``, not directly."""

    def __init__(self, capacity: int) -> None:
        self._frames: collections.deque[EncodedFrame] = collections.deque(maxlen=capacity)
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        return len(self._frames)

    async def recv(self) -> EncodedFrame:
        """The oldest frame not yet received; frames queued before a close are still delivered."""
        while not self._frames:
            if self._closed:
                raise RelayClosed
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def _offer(self, frame: EncodedFrame) -> None:
        if self._closed:
            return
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1  # the deque discards the oldest on append
        self._frames.append(frame)
        self._ready.set()

    def _close(self) -> None:
        self._closed = True
        self._ready.set()


class RelayHub:
    def __init__(self, *, queue_frames: int = DEFAULT_QUEUE_FRAMES) -> None:
        if queue_frames < 1:
            raise ValueError("queue_frames must be at least 1")
        self._queue_frames = queue_frames
        self._subscriptions: set[Subscription] = set()
        self._pumps: dict[Subscription, asyncio.Task[None]] = {}
        self._sequence = 0
        self._stopped = False

    @property
    def subscriptions(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, *, queue_frames: int | None = None) -> Subscription:
        if self._stopped:
            raise RelayClosed
        subscription = Subscription(queue_frames or self._queue_frames)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        subscription._close()

    def attach(self, sink: PacketSink, *, queue_frames: int | None = None) -> Subscription:
        """Feed ``sink.send`` from a queue of its own, in a task the hub owns until ``detach`` or ``stop``."""
        self._forget_finished_pumps()
        subscription = self.subscribe(queue_frames=queue_frames)
        pump = asyncio.create_task(self._pump(subscription, sink), name=f"relay to {sink!r}")
        self._pumps[subscription] = pump
        return subscription

    async def detach(self, subscription: Subscription) -> None:
        self.unsubscribe(subscription)
        pump = self._pumps.pop(subscription, None)
        if pump is not None:
            await _cancel_and_wait(pump)

    def publish(self, payload: bytes) -> EncodedFrame:
        """Hand one encoded 20 ms frame to every sink now; never waits for any of them."""
        frame = EncodedFrame(payload, self._sequence, self._sequence * FRAME_SAMPLES)
        self._sequence += 1
        for subscription in self._subscriptions:
            subscription._offer(frame)
        return frame

    async def stop(self) -> None:
        self._stopped = True
        for subscription in list(self._subscriptions):
            self.unsubscribe(subscription)
        pumps, self._pumps = list(self._pumps.values()), {}
        for pump in pumps:
            await _cancel_and_wait(pump)

    async def _pump(self, subscription: Subscription, sink: PacketSink) -> None:
        try:
            while True:
                frame = await subscription.recv()
                await sink.send(frame)
        except RelayClosed:
            return
        except Exception:
            # A broken sink (a listener's peer connection failing) must not reach the mix loop; it is
            # dropped, and whoever attached it sees ``subscription.closed``.
            _log.exception("relay sink %r failed; detaching it", sink)
            self.unsubscribe(subscription)

    def _forget_finished_pumps(self) -> None:
        for subscription, pump in list(self._pumps.items()):
            if pump.done():
                del self._pumps[subscription]


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        # The pump's own cancellation is expected; our caller's (stop() being cancelled) must propagate.
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
