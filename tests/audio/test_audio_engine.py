"""All together with real Opus: two speakers' packets in, one encoded mix out, decoded by a listener."""

from __future__ import annotations

import asyncio
import random

import numpy as np

from spaces_core.audio.codec import OpusDecoder, OpusEncoder
from spaces_core.audio.engine import MixEngine
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm
from spaces_core.audio.jitter import RtpAudio
from spaces_core.audio.relay import RelayHub

HOST, GUEST = 111, 222


def tone(frequency: float, index: int, amplitude: float = 0.5) -> Pcm:
    t = (np.arange(FRAME_SAMPLES) + index * FRAME_SAMPLES) / SAMPLE_RATE
    mono = (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    return np.repeat(mono[:, None], CHANNELS, axis=1)


def energy_at(pcm: np.ndarray, frequency: float) -> float:
    mono = pcm.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono)) / len(mono)
    return float(spectrum[round(frequency * len(mono) / SAMPLE_RATE)])


class Speaker:
    """A member's Discord client: encodes their voice and sends RTP, losing 10 % on the way."""

    def __init__(self, frequency: float, seed: int) -> None:
        self.frequency, self.encoder, self.rng = frequency, OpusEncoder(), random.Random(seed)

    def packet(self, index: int) -> RtpAudio | None:
        payload = self.encoder.encode(tone(self.frequency, index))
        lost = self.rng.random() < 0.10
        return None if lost else RtpAudio(sequence=index, timestamp=index * FRAME_SAMPLES, payload=payload)


async def test_listener_hears_both_speakers_then_only_the_host_after_the_guest_steps_down() -> None:
    hub = RelayHub(queue_frames=1000)
    listener = hub.subscribe()
    engine = MixEngine(hub)
    engine.set_allowed({HOST, GUEST})
    speakers = {HOST: Speaker(440, seed=1), GUEST: Speaker(660, seed=2)}
    levels = []
    for index in range(100):
        if index == 50:
            engine.set_allowed({HOST})
        for member, speaker in speakers.items():
            if (packet := speaker.packet(index)) is not None:
                engine.push(member, packet, arrival=index * 0.020)
        levels.append(engine.tick().levels)

    decoder = OpusDecoder()
    heard = np.concatenate([decoder.decode((await listener.recv()).payload) for _ in range(100)])
    both, host_only = heard[30 * FRAME_SAMPLES : 50 * FRAME_SAMPLES], heard[60 * FRAME_SAMPLES :]
    assert energy_at(both, 440) > 0.1
    assert energy_at(both, 660) > 0.1
    assert energy_at(host_only, 440) > 0.1
    assert energy_at(host_only, 660) < 0.01
    assert set(levels[40]) == {HOST, GUEST}
    assert set(levels[50]) == {HOST}  # gone from the very frame after the change


async def test_engine_publishes_every_20_ms_and_stops_cleanly() -> None:
    hub = RelayHub(queue_frames=1000)
    listener = hub.subscribe()
    engine = MixEngine(hub)

    engine.start()
    await asyncio.sleep(0.5)
    await engine.stop()

    assert 20 <= listener.pending <= 30  # 25 ticks in 0.5 s, give or take a loaded CI machine
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "mix engine"]
    await hub.stop()
