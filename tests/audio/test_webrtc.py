"""Web listeners with real aiortc peers on the loopback: they hear the mix, share its one encode, and leave alone.

Each test runs on both ways a listener's packets leave: the fast path (``SrtpFanout``, the default) and aiortc's
own sender (the fallback, ``fast_path=False``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import opus as aiortc_opus
from av import AudioFrame

from spaces_core.audio.codec import OpusEncoder
from spaces_core.audio.engine import MixEngine
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE, Pcm
from spaces_core.audio.jitter import RtpAudio
from spaces_core.audio.relay import RelayHub
from spaces_core.webrtc.ice import gather_host_candidates
from spaces_core.webrtc.listeners import BadOffer, ListenerRejected, WebListeners

HOST = 111
LOOPBACK = "127.0.0.1"


def tone(frequency: float, index: int, amplitude: float = 0.5) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    mono = (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    return np.repeat(mono[:, None], CHANNELS, axis=1)


class CountingEncoder(OpusEncoder):
    """The mix's encoder, counting its work; every instance is recorded."""

    instances: list[CountingEncoder] = []  # noqa: RUF012 - a per-test registry, reset by the fixture

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[bytes] = []
        CountingEncoder.instances.append(self)

    def encode(self, pcm: Pcm) -> bytes:
        payload = super().encode(pcm)
        self.payloads.append(payload)
        return payload


class ToneSpace:
    """A live Space: the host's client sends a 440 Hz tone every 20 ms into the real mix engine."""

    def __init__(self) -> None:
        self.hub = RelayHub()
        self.encoder = CountingEncoder()
        self.engine = MixEngine(self.hub, encoder=self.encoder)
        self.engine.set_allowed({HOST})
        self._host_client = OpusEncoder()  # the host's Discord client, not part of the relay
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._speak())
        self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.hub.stop()

    async def _speak(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        for index in range(1 << 30):
            payload = self._host_client.encode(tone(440, index))
            packet = RtpAudio(sequence=index & 0xFFFF, timestamp=index * FRAME_SAMPLES, payload=payload)
            self.engine.push(HOST, packet, arrival=loop.time())
            deadline += FRAME_SECONDS
            await asyncio.sleep(max(0.0, deadline - loop.time()))


class Listener:
    """A browser on the listen page: a receive-only aiortc peer on the loopback."""

    def __init__(self, host: str = LOOPBACK) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTransceiver("audio", direction="recvonly")
        self.host = host

    async def join(self, listeners: WebListeners) -> MediaStreamTrack:
        await gather_host_candidates(self.pc, self.host)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await listeners.offer(self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        return self.pc.getReceivers()[0].track

    async def frames(self, track: MediaStreamTrack, count: int) -> list[AudioFrame]:
        received = []
        async with asyncio.timeout(10):
            while len(received) < count:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                received.append(frame)
        return received


def to_pcm(frames: list[AudioFrame]) -> Pcm:
    samples = np.concatenate([frame.to_ndarray().reshape(-1, CHANNELS) for frame in frames])
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)


def dominant_frequency(pcm: Pcm) -> tuple[float, float]:
    """(frequency, amplitude) of the strongest bin of the mono mix."""
    mono = pcm.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono)) * 2 / len(mono)
    peak = int(np.argmax(spectrum[1:])) + 1
    return peak * SAMPLE_RATE / len(mono), float(spectrum[peak])


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.fixture
async def space() -> AsyncIterator[ToneSpace]:
    CountingEncoder.instances.clear()
    space = ToneSpace()
    space.start()
    yield space
    await space.stop()


@pytest.fixture(params=[True, False], ids=["fast-path", "aiortc-sender"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
async def listeners(space: ToneSpace, fast_path: bool) -> AsyncIterator[WebListeners]:
    listeners = WebListeners(space.hub, host=LOOPBACK, fast_path=fast_path)
    yield listeners
    await listeners.close_all()


def fed(listeners: WebListeners, hub: RelayHub) -> int:
    """How many listeners are being sent the mix now, whichever way."""
    if listeners.fanout is not None:
        assert hub.subscriptions <= 1  # the fan-out's one feed, however many listeners it serves
        return listeners.fanout.count
    return hub.subscriptions


@pytest.fixture
def wire_payloads(monkeypatch: pytest.MonkeyPatch) -> dict[int, list[bytes]]:
    """What each listening peer's Opus decoder was handed off the wire (after SRTP), keyed by decoder."""
    seen: dict[int, list[bytes]] = {}
    original = aiortc_opus.OpusDecoder.decode

    def recording(self: aiortc_opus.OpusDecoder, encoded_frame: object) -> object:
        seen.setdefault(id(self), []).append(bytes(encoded_frame.data))  # type: ignore[attr-defined]
        return original(self, encoded_frame)  # type: ignore[arg-type]

    monkeypatch.setattr(aiortc_opus.OpusDecoder, "decode", recording)
    return seen


@pytest.fixture
def aiortc_encodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Calls to aiortc's own Opus encoder: a per-listener encode would show up here."""
    calls: list[int] = []
    original = aiortc_opus.OpusEncoder.encode

    def counting(self: aiortc_opus.OpusEncoder, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aiortc_opus.OpusEncoder, "encode", counting)
    return calls


async def test_a_listener_hears_the_440_hz_tone_of_the_mix(listeners: WebListeners) -> None:
    listener = Listener()
    try:
        track = await listener.join(listeners)
        frames = await listener.frames(track, 75)
    finally:
        await listener.pc.close()

    frequency, amplitude = dominant_frequency(to_pcm(frames[25:]))  # one second, past the start-up
    assert abs(frequency - 440) <= 2
    assert amplitude > 0.2  # the host's 0.5 tone, through two Opus encodes and the limiter


async def test_two_listeners_get_the_same_bytes_from_one_encoder(
    space: ToneSpace,
    listeners: WebListeners,
    wire_payloads: dict[int, list[bytes]],
    aiortc_encodes: list[int],
) -> None:
    first, second = Listener(), Listener()
    try:
        tracks = [await first.join(listeners), await second.join(listeners)]
        await asyncio.gather(first.frames(tracks[0], 50), second.frames(tracks[1], 50))
    finally:
        await first.pc.close()
        await second.pc.close()

    assert len(CountingEncoder.instances) == 1
    assert aiortc_encodes == []
    assert len(wire_payloads) == 2  # one decoder per listening peer
    encoded = set(space.encoder.payloads)
    for payloads in wire_payloads.values():
        assert len(payloads) >= 50
        assert set(payloads) <= encoded  # byte for byte what the mix's encoder produced
    one, other = wire_payloads.values()
    assert len(set(one) & set(other)) >= 40  # the same packets, not merely the same kind of packets


async def test_a_listener_who_leaves_is_dropped_and_the_other_keeps_listening(
    space: ToneSpace, listeners: WebListeners
) -> None:
    staying, leaving = Listener(), Listener()
    try:
        staying_track = await staying.join(listeners)
        leaving_track = await leaving.join(listeners)
        await asyncio.gather(staying.frames(staying_track, 10), leaving.frames(leaving_track, 10))
        assert listeners.count == 2
        assert fed(listeners, space.hub) == 2

        await leaving.pc.close()
        during = asyncio.create_task(staying.frames(staying_track, 100))
        await wait_until(lambda: listeners.count == 1 and fed(listeners, space.hub) == 1)
        frames = await during
    finally:
        await staying.pc.close()
        await leaving.pc.close()

    steps = np.diff([frame.pts for frame in frames])
    assert set(steps.tolist()) == {FRAME_SAMPLES}  # no frame lost or repeated around the departure


async def test_the_peak_is_the_most_listeners_connected_at_once(space: ToneSpace, listeners: WebListeners) -> None:
    first, second, third = Listener(), Listener(), Listener()
    try:
        await first.join(listeners)
        await second.join(listeners)
        await wait_until(lambda: listeners.connected == 2)
        assert listeners.peak == 2
        await second.pc.close()
        await wait_until(lambda: listeners.count == 1 and listeners.connected == 1)
        await third.join(listeners)
        await wait_until(lambda: listeners.connected == 2)
        assert listeners.peak == 2, "one left before the third came: never three at once"
    finally:
        for listener in (first, second, third):
            await listener.pc.close()


async def test_close_all_closes_every_peer_and_refuses_new_ones(space: ToneSpace, fast_path: bool) -> None:
    listeners = WebListeners(space.hub, host=LOOPBACK, fast_path=fast_path)
    listener = Listener()
    try:
        track = await listener.join(listeners)
        await listener.frames(track, 5)
        await listeners.close_all()

        assert listeners.count == 0
        await wait_until(lambda: space.hub.subscriptions == 0 and listener.pc.connectionState == "closed")
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "web listeners reaper"]
        with pytest.raises(ListenerRejected):
            await Listener().join(listeners)
    finally:
        await listener.pc.close()


async def test_an_offer_without_audio_is_rejected(listeners: WebListeners) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.createDataChannel("chat")
        await gather_host_candidates(pc, LOOPBACK)
        await pc.setLocalDescription(await pc.createOffer())
        with pytest.raises(BadOffer, match="no audio"):
            await listeners.offer(pc.localDescription.sdp)
        assert listeners.count == 0
    finally:
        await pc.close()


async def test_a_full_space_refuses_the_next_listener_and_keeps_the_others(space: ToneSpace, fast_path: bool) -> None:
    listeners = WebListeners(space.hub, host=LOOPBACK, fast_path=fast_path, max_listeners=2)
    first, second, third = Listener(), Listener(), Listener()
    try:
        tracks = [await first.join(listeners), await second.join(listeners)]
        with pytest.raises(ListenerRejected, match="as many web listeners as it can take"):
            await third.join(listeners)
        assert listeners.count == 2
        await asyncio.gather(first.frames(tracks[0], 25), second.frames(tracks[1], 25))

        await first.pc.close()  # one leaves: there is room again
        await wait_until(lambda: listeners.count == 1)
        track = await Listener.join(third, listeners)
        await third.frames(track, 25)
    finally:
        for listener in (first, second, third):
            await listener.pc.close()
        await listeners.close_all()
