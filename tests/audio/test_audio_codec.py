"""Real libopus, called directly and through PyAV: what goes in at 440 Hz comes out at 440 Hz, a lost packet
is concealed, and both paths give the same bytes and the same samples."""

from __future__ import annotations

from typing import Literal

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


BACKENDS = pytest.mark.parametrize("backend", ["auto", "pyav"])


def test_libopus_is_called_directly_here() -> None:
    # PyAV's wheel carries libopus; if this fails the codec still works, through PyAV, only slower.
    assert OpusDecoder().backend == OpusEncoder().backend == "libopus"
    assert OpusDecoder(backend="pyav").backend == OpusEncoder(backend="pyav").backend == "pyav"


@BACKENDS
def test_round_trip_keeps_a_440_hz_tone(backend: Literal["auto", "pyav"]) -> None:
    encoder, decoder = OpusEncoder(backend=backend), OpusDecoder(backend=backend)
    packets = [encoder.encode(frame) for frame in tone_frames(440.0, 50)]
    decoded = np.concatenate([decoder.decode(packet) for packet in packets])

    assert all(0 < len(packet) < 400 for packet in packets)
    assert decoded.shape == (50 * FRAME_SAMPLES, CHANNELS)
    steady = decoded[FRAME_SAMPLES * 5 :]  # past the codec's pre-skip and warm-up
    # One FFT bin over 0.9 s is ~1.1 Hz wide.
    assert peak_frequency(steady) == pytest.approx(440.0, abs=2.0)
    rms = float(np.sqrt(np.mean(steady**2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.15)


@BACKENDS
def test_lost_packet_is_concealed_with_the_same_tone(backend: Literal["auto", "pyav"]) -> None:
    encoder, decoder = OpusEncoder(backend=backend), OpusDecoder(backend=backend)
    packets = [encoder.encode(frame) for frame in tone_frames(440.0, 20)]
    for packet in packets[:10]:
        decoder.decode(packet)

    concealed = decoder.decode(None)

    assert concealed.shape == (FRAME_SAMPLES, CHANNELS)
    assert float(np.sqrt(np.mean(concealed**2))) > 0.05  # PLC extrapolates, it does not go silent at once
    assert peak_frequency(concealed) == pytest.approx(440.0, abs=50.0)  # 20 ms: 50 Hz bins
    assert decoder.decode(packets[11]).shape == (FRAME_SAMPLES, CHANNELS)  # and decoding carries on


@BACKENDS
def test_concealment_before_any_packet_is_silence(backend: Literal["auto", "pyav"]) -> None:
    assert not OpusDecoder(backend=backend).decode(None).any()


def test_direct_calls_encode_and_decode_exactly_what_pyav_does() -> None:
    rng = np.random.default_rng(4)
    noise = [rng.uniform(-0.6, 0.6, (FRAME_SAMPLES, CHANNELS)).astype(np.float32) for _ in range(20)]
    pcm = tone_frames(440.0, 40) + noise + tone_frames(3000.0, 20, amplitude=0.05)
    direct, pyav = OpusEncoder(), OpusEncoder(backend="pyav")
    packets = [direct.encode(frame) for frame in pcm]
    assert packets == [pyav.encode(frame) for frame in pcm]

    # Losses in speech, in noise and back to back: PLC must match too, and so must what follows it.
    received: list[bytes | None] = [None if i in {12, 45, 46, 70} else p for i, p in enumerate(packets)]
    direct_decoder, pyav_decoder = OpusDecoder(), OpusDecoder(backend="pyav")
    for payload in received:
        got, want = direct_decoder.decode(payload), pyav_decoder.decode(payload)
        assert got.dtype == want.dtype == np.float32
        assert np.array_equal(got, want)


@BACKENDS
def test_a_corrupt_or_overlong_packet_is_a_codec_error(backend: Literal["auto", "pyav"]) -> None:
    decoder = OpusDecoder(backend=backend)
    with pytest.raises(CodecError):
        decoder.decode(bytes([0x03, 0x00]))  # code 3 (arbitrary frame count) announcing zero frames: invalid
    forty_ms = bytes([0x0C | 0x01]) + bytes(10)  # two 20 ms CELT frames in one packet (code 1)
    with pytest.raises(CodecError):
        decoder.decode(forty_ms)
    with pytest.raises(CodecError):
        decoder.decode(b"")


def test_encoder_rejects_a_frame_of_the_wrong_size() -> None:
    with pytest.raises(CodecError):
        OpusEncoder().encode(np.zeros((480, CHANNELS), dtype=np.float32))
