"""The recorder: Ogg/Opus with the Space's audio, an opted-out speaker absent, nothing written when off; parts
joined into one seekable replay."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import numpy as np

from spaces_core.audio import MixEngine, OpusEncoder, RelayHub, RtpAudio
from spaces_core.audio.format import FRAME_SAMPLES, SAMPLE_RATE
from spaces_core.audio.recorder import Recorder, join_parts

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


async def test_stopping_while_a_write_is_on_its_thread_waits_for_it_and_loses_nothing(tmp_path: Path) -> None:
    """The stop closed the file beside a write still running on its thread (a segfault in a full test run)."""
    engine = MixEngine(RelayHub())
    engine.set_allowed({HOST, GUEST})
    recorder = Recorder(tmp_path / "all.ogg")
    await recorder.start()
    engine.add_tap(recorder)
    run(engine, frames=450)  # 9 s queued: the periodic flush takes a while to encode them
    async with asyncio.timeout(10):
        while recorder.frames_written == 0:  # then the flush is writing them on its thread
            await asyncio.sleep(0.001)
    await recorder.stop()
    assert recorder.frames_written == 450
    assert 8.9 * SAMPLE_RATE < len(read(recorder.path)) <= 9.0 * SAMPLE_RATE


async def test_a_recorder_not_started_writes_nothing(tmp_path: Path) -> None:
    engine = MixEngine(RelayHub())
    engine.set_allowed({HOST, GUEST})
    recorder = Recorder(tmp_path / "never.ogg")
    engine.add_tap(recorder)
    run(engine, frames=10)
    await recorder.stop()
    assert not recorder.path.exists() and recorder.frames_written == 0


async def record_tone(path: Path, hz: float, frames: int) -> Path:
    engine = MixEngine(RelayHub())
    engine.set_allowed({HOST})
    recorder = Recorder(path)
    await recorder.start()
    engine.add_tap(recorder)
    for index, packet in enumerate(packets(hz, frames)):
        engine.push(HOST, RtpAudio(index, index * FRAME_SAMPLES, packet), index * 0.02)
        engine.tick()
    await recorder.stop()
    return path


async def test_parts_join_into_one_seekable_replay_in_order(tmp_path: Path) -> None:
    first = await record_tone(tmp_path / "s-part1.ogg", 440, 100)
    second = await record_tone(tmp_path / "s-part2.ogg", 660, 150)
    whole = first.read_bytes()
    torn = tmp_path / "s-part3.ogg"  # a part cut short by a crash: a page torn in the middle
    torn.write_bytes(whole[: len(whole) // 2 + 37])
    empty = tmp_path / "s-part4.ogg"
    empty.write_bytes(b"")
    joined = tmp_path / "s.ogg"

    packets_written = join_parts([first, second, torn, empty], joined)

    samples = read(joined)
    assert 95 + 145 + 40 < packets_written <= 100 + 150 + 51
    assert abs(len(samples) - packets_written * FRAME_SAMPLES) < FRAME_SAMPLES  # one timeline, no overlap
    one, two = int(1.9 * SAMPLE_RATE), int(2.1 * SAMPLE_RATE)
    assert level(samples[:one], 440) == 1.0 and level(samples[:one], 660) < 0.01
    assert level(samples[two : two + 2 * SAMPLE_RATE], 660) == 1.0
    assert level(samples[-SAMPLE_RATE // 2 :], 440) == 1.0
    with av.open(str(joined)) as container:
        stream = container.streams.audio[0]
        container.seek(3 * SAMPLE_RATE, stream=stream)  # pts in the stream's 1/48000 time base
        landed = next(container.decode(stream))
        assert abs(landed.pts - 3 * SAMPLE_RATE) < SAMPLE_RATE // 2, landed.pts


def test_joining_nothing_readable_leaves_no_file(tmp_path: Path) -> None:
    empty = tmp_path / "s-part1.ogg"
    empty.write_bytes(b"")
    assert join_parts([empty], tmp_path / "s.ogg") == 0
    assert not (tmp_path / "s.ogg").exists()
