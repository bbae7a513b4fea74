"""The recorder: Ogg/Opus with the Space's audio, an opted-out speaker absent, nothing written when off."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from spaces_core.audio import MixEngine, OpusEncoder, RelayHub, RtpAudio
from spaces_core.audio.format import FRAME_SAMPLES, SAMPLE_RATE
from spaces_core.audio.recorder import Recorder

HOST, GUEST = 1, 2


def packets(hz: float, count: int) -> list[bytes]:
    encoder, out = OpusEncoder(), []
    t = np.arange(FRAME_SAMPLES) / SAMPLE_RATE
    for index in range(count):
        wave = 0.3 * np.sin(2 * np.pi * hz * (t + index * FRAME_SAMPLES / SAMPLE_RATE)).astype(np.float32)
        out.append(encoder.encode(np.stack([wave, wave], axis=1)))
    return out


def run(engine: MixEngine, frames: int = 100) -> None:
    host, guest = packets(440, frames), packets(1000, frames)
    for index in range(frames):
        engine.push(HOST, RtpAudio(index, index * FRAME_SAMPLES, host[index]), index * 0.02)
        engine.push(GUEST, RtpAudio(index, index * FRAME_SAMPLES, guest[index]), index * 0.02)
        engine.tick()


def first_channel(frame: av.AudioFrame) -> np.ndarray:
    samples = frame.to_ndarray()
    return samples[0] if frame.format.is_planar else samples.reshape(-1)[:: len(frame.layout.channels)]


def read(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name in ("opus", "libopus")
        chunks = [first_channel(frame) for frame in container.decode(audio=0)]
    return np.concatenate(chunks).astype(np.float32)


def level(samples: np.ndarray, hz: float, rate: int = SAMPLE_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[np.abs(freqs - hz) < 5].max() / spectrum.max())


async def test_recording_holds_the_space_without_the_opted_out_speaker(tmp_path: Path) -> None:
    engine = MixEngine(RelayHub())
    engine.set_allowed({HOST, GUEST})
    everyone, without_guest = Recorder(tmp_path / "all.ogg"), Recorder(tmp_path / "out.ogg", opted_out={GUEST})
    for recorder in (everyone, without_guest):
        await recorder.start()
        engine.add_tap(recorder)
    run(engine)
    for recorder in (everyone, without_guest):
        await recorder.stop()
    full, kept = read(everyone.path), read(without_guest.path)
    assert len(full) > 1.5 * SAMPLE_RATE  # 2 s
    assert level(full, 440) > 0.3 and level(full, 1000) > 0.3
    assert level(kept, 440) == 1.0 and level(kept, 1000) < 0.01


async def test_a_recorder_not_started_writes_nothing(tmp_path: Path) -> None:
    engine = MixEngine(RelayHub())
    engine.set_allowed({HOST, GUEST})
    recorder = Recorder(tmp_path / "never.ogg")
    engine.add_tap(recorder)
    run(engine, frames=10)
    await recorder.stop()
    assert not recorder.path.exists() and recorder.frames_written == 0
