"""Audio for simulated members: a test tone or speech from Debian's espeak-ng, as 20 ms Opus packets.

What a Discord client sends: 48 kHz stereo Opus, one 20 ms frame per packet. Encoded with PyAV's libopus so
the sandbox needs nothing from the product.
"""

from __future__ import annotations

import fractions
import io
import shutil
import subprocess
import wave
from typing import Final

import av
import numpy as np
import numpy.typing as npt

__all__ = ["FRAME_SAMPLES", "SAMPLE_RATE", "SpeechUnavailable", "encode_opus", "speech", "tone"]

SAMPLE_RATE: Final = 48_000
FRAME_SAMPLES: Final = 960
Mono = npt.NDArray[np.float32]


class SpeechUnavailable(RuntimeError):
    """espeak-ng is not installed (Debian package `espeak-ng`)."""


def tone(frequency: float, seconds: float, *, amplitude: float = 0.3) -> Mono:
    t = np.arange(int(seconds * SAMPLE_RATE), dtype=np.float64) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def speech(text: str, *, voice: str = "en") -> Mono:
    """``text`` spoken by espeak-ng, resampled to 48 kHz mono float."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise SpeechUnavailable("espeak-ng is not installed")
    wav = subprocess.run([binary, "-v", voice, "--stdout", text], check=True, capture_output=True, timeout=30).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    positions = np.arange(int(len(samples) * SAMPLE_RATE / rate)) * rate / SAMPLE_RATE
    resampled: Mono = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    return resampled


def encode_opus(mono: Mono) -> list[bytes]:
    """One Opus packet per 20 ms (stereo, the last frame padded with silence)."""
    context = av.CodecContext.create("libopus", "w")
    context.sample_rate = SAMPLE_RATE
    context.layout = "stereo"
    context.format = "s16"
    context.bit_rate = 64_000
    context.options = {"application": "voip", "frame_duration": "20"}
    context.open()
    frames = -(-len(mono) // FRAME_SAMPLES)
    padded = np.zeros(frames * FRAME_SAMPLES, dtype=np.float32)
    padded[: len(mono)] = mono
    pcm = np.clip(np.rint(padded * 32767), -32768, 32767).astype(np.int16)
    stereo = np.repeat(pcm, 2)
    packets: list[bytes] = []
    for index in range(frames):
        chunk = stereo[index * FRAME_SAMPLES * 2 : (index + 1) * FRAME_SAMPLES * 2].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = index * FRAME_SAMPLES
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        packets.extend(bytes(packet) for packet in context.encode(frame))
    packets.extend(bytes(packet) for packet in context.encode(None))
    return packets
