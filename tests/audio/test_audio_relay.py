"""The relay hub in a real event loop: stalled and dead sinks never hold back the healthy ones."""

from __future__ import annotations

import asyncio

import pytest

from spaces_core.audio.relay import EncodedFrame, RelayClosed, RelayHub, Subscription

FRAMES = 50
PERIOD = 0.020


class StalledSink:
    """A listener whose connection hangs: the first send never returns."""

    def __init__(self) -> None:
        self.started = 0

    async def send(self, frame: EncodedFrame) -> None:
        self.started += 1
        await asyncio.Event().wait()


class RecordingSink:
    def __init__(self) -> None:
        self.frames: list[EncodedFrame] = []

    async def send(self, frame: EncodedFrame) -> None:
        self.frames.append(frame)


class BrokenSink:
    async def send(self, frame: EncodedFrame) -> None:
        raise ConnectionResetError("peer went away")


async def receive_all(subscription: Subscription, received: list[tuple[float, EncodedFrame]]) -> None:
    loop = asyncio.get_running_loop()
    try:
        while True:
            frame = await subscription.recv()
            received.append((loop.time(), frame))
    except RelayClosed:
        return


async def test_stalled_and_dead_sinks_do_not_delay_the_others() -> None:
    loop = asyncio.get_running_loop()
    hub = RelayHub(queue_frames=10)
    healthy = [hub.subscribe() for _ in range(3)]
    dead = hub.subscribe()  # never calls recv()
    stalled_sink = StalledSink()
    stalled = hub.attach(stalled_sink)
    received: list[list[tuple[float, EncodedFrame]]] = [[] for _ in healthy]
    consumers = [asyncio.create_task(receive_all(s, r)) for s, r in zip(healthy, received, strict=True)]

    published: list[tuple[float, EncodedFrame]] = []
    for index in range(FRAMES):
        published.append((loop.time(), hub.publish(bytes([index]))))
        await asyncio.sleep(PERIOD)
    await hub.stop()
    await asyncio.wait_for(asyncio.gather(*consumers), timeout=1)

    for frames in received:
        assert [frame for _, frame in frames] == [frame for _, frame in published]  # every one, in order
        assert all(got[1] is sent[1] for got, sent in zip(frames, published, strict=True))  # the same object
        lateness = [got_at - sent_at for (got_at, _), (sent_at, _) in zip(frames, published, strict=True)]
        assert max(lateness) < PERIOD / 2  # delivered within the tick it was published in
    assert dead.dropped == FRAMES - 10
    assert stalled_sink.started == 1
    assert stalled.dropped == FRAMES - 1 - 10  # one is stuck in send(), ten queued, the rest dropped


async def test_stop_cancels_and_awaits_the_pump_of_a_stalled_sink() -> None:
    hub = RelayHub()
    hub.attach(StalledSink())
    hub.publish(b"x")
    await asyncio.sleep(0)

    await asyncio.wait_for(hub.stop(), timeout=1)

    assert all(task.done() for task in asyncio.all_tasks() if task.get_name().startswith("relay to"))
    with pytest.raises(RelayClosed):
        hub.subscribe()


async def test_sinks_join_and_leave_mid_stream() -> None:
    hub = RelayHub()
    early = hub.subscribe()
    hub.publish(b"1")
    late = hub.subscribe()
    hub.publish(b"2")
    hub.unsubscribe(early)
    hub.publish(b"3")

    assert [(await early.recv()).payload for _ in range(2)] == [b"1", b"2"]  # queued frames still delivered
    with pytest.raises(RelayClosed):
        await early.recv()
    assert [(await late.recv()).payload for _ in range(2)] == [b"2", b"3"]
    assert hub.subscriptions == 1
    await hub.stop()


async def test_a_slow_pull_sink_keeps_the_newest_frames() -> None:
    hub = RelayHub(queue_frames=3)
    slow = hub.subscribe()
    for index in range(10):
        hub.publish(bytes([index]))

    assert [(await slow.recv()).sequence for _ in range(3)] == [7, 8, 9]
    assert slow.dropped == 7
    await hub.stop()


async def test_a_failing_push_sink_is_detached_and_the_rest_carry_on() -> None:
    hub = RelayHub()
    broken = hub.attach(BrokenSink())
    recorder = RecordingSink()
    hub.attach(recorder)
    for index in range(3):
        hub.publish(bytes([index]))
        await asyncio.sleep(0.001)

    assert broken.closed
    assert [frame.sequence for frame in recorder.frames] == [0, 1, 2]
    assert [frame.timestamp for frame in recorder.frames] == [0, 960, 1920]
    await hub.stop()
