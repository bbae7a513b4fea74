"""Real libopus through PyAV: what goes in at 440 Hz comes out at 440 Hz, and a lost packet is concealed."""

from __future__ import annotations

import numpy as np
import pytest

from spaces_core.audio.codec import CodecError, OpusDecoder, OpusEncoder
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm


def tone_frames(frequency: float, count: int, amplitude: float = 0.5) -> list[Pcm]:
    t = np.arange(FRAME_SAMPLES * count) / SAMPLE_RATE
    mono = (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)
    stereo = np.repeat(mono[:, None], CHANNELS, axis=1)
    return [stereo[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES] for i in range(count)]


def peak_frequency(pcm: np.ndarray) -> float:
    mono = pcm.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / SAMPLE_RATE)[int(np.argmax(spectrum))])


def test_round_trip_keeps_a_440_hz_tone() -> None:
    encoder, decoder = OpusEncoder(), OpusDecoder()
    packets = [encoder.encode(frame) for frame in tone_frames(440.0, 50)]
    decoded = np.concatenate([decoder.decode(packet) for packet in packets])

    assert all(0 < len(packet) < 400 for packet in packets)
    assert decoded.shape == (50 * FRAME_SAMPLES, CHANNELS)
    steady = decoded[FRAME_SAMPLES * 5 :]  # past the codec's pre-skip and warm-up
    # One FFT bin over 0.9 s is ~1.1 Hz wide.
    assert peak_frequency(steady) == pytest.approx(440.0, abs=2.0)
    rms = float(np.sqrt(np.mean(steady**2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.15)


def test_lost_packet_is_concealed_with_the_same_tone() -> None:
    encoder, decoder = OpusEncoder(), OpusDecoder()
    packets = [encoder.encode(frame) for frame in tone_frames(440.0, 20)]
    for packet in packets[:10]:
        decoder.decode(packet)

    concealed = decoder.decode(None)

    assert concealed.shape == (FRAME_SAMPLES, CHANNELS)
    assert float(np.sqrt(np.mean(concealed**2))) > 0.05  # PLC extrapolates, it does not go silent at once
    assert peak_frequency(concealed) == pytest.approx(440.0, abs=50.0)  # 20 ms: 50 Hz bins
    assert decoder.decode(packets[11]).shape == (FRAME_SAMPLES, CHANNELS)  # and decoding carries on


def test_concealment_before_any_packet_is_silence() -> None:
    assert not OpusDecoder().decode(None).any()


def test_encoder_rejects_a_frame_of_the_wrong_size() -> None:
    with pytest.raises(CodecError):
        OpusEncoder().encode(np.zeros((480, CHANNELS), dtype=np.float32))
