"""Opus encode and decode over PyAV's libopus, one 20 ms frame at a time.

Loss concealment: FFmpeg's libopus wrapper does not expose ``opus_decode(..., decode_fec=1)``, so in-band FEC
cannot be decoded through PyAV; a missing packet is concealed with Opus PLC instead. PLC is reached by feeding
the decoder a packet made of the last TOC byte alone: RFC 6716 §3.2.1 lets a frame be zero bytes long, and
libopus conceals such a frame with its normal PLC at the previous mode and frame size. (An empty av.Packet
would mean "flush" to FFmpeg, not "lost".) The encoder still *produces* FEC, for WebRTC listeners' browsers.
"""

from __future__ import annotations

import fractions
from typing import Final, Literal

import av
import numpy as np
import numpy.typing as npt

from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm, from_int16, silence, to_int16

__all__ = ["CodecError", "OpusDecoder", "OpusEncoder"]

_LAYOUT: Final = "stereo" if CHANNELS == 2 else "mono"
_TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
_TOC_CODE_MASK: Final = 0xFC  # clears the 2 "frame count code" bits: code 0, one frame


class CodecError(Exception):
    """Opus could not encode or decode a frame (a corrupt packet, a wrong frame shape)."""


class OpusEncoder:
    """PCM frames in, one Opus packet (bytes) out per 20 ms frame.

    ``application="voip"`` by default: speech, and it is the mode in which libopus emits in-band FEC.
    """

    def __init__(
        self,
        *,
        bitrate: int = 64_000,
        application: Literal["voip", "audio", "lowdelay"] = "voip",
        fec: bool = True,
        expected_loss_percent: int = 5,
    ) -> None:
        self._context = av.CodecContext.create("libopus", "w")
        self._context.sample_rate = SAMPLE_RATE
        self._context.layout = _LAYOUT
        self._context.format = "s16"
        self._context.bit_rate = bitrate
        self._context.options = {
            "application": application,
            "frame_duration": "20",
            "fec": "1" if fec else "0",
            # libopus only spends bits on FEC when told to expect loss.
            "packet_loss": str(expected_loss_percent),
        }
        self._context.open()
        self._pts = 0

    def encode(self, pcm: Pcm) -> bytes:
        if pcm.shape != (FRAME_SAMPLES, CHANNELS):
            raise CodecError(f"expected a frame of shape {(FRAME_SAMPLES, CHANNELS)}, got {pcm.shape}")
        frame = av.AudioFrame.from_ndarray(to_int16(pcm), format="s16", layout=_LAYOUT)
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        self._pts += FRAME_SAMPLES
        packets = self._context.encode(frame)
        # libopus is synchronous: one 20 ms frame in, one packet out; anything else is a bug worth seeing.
        if len(packets) != 1:
            raise CodecError(f"libopus returned {len(packets)} packets for one frame")
        return bytes(packets[0])


class OpusDecoder:
    """Opus packets in, PCM frames out; ``decode(None)`` conceals a lost packet (PLC)."""

    def __init__(self) -> None:
        self._context = av.CodecContext.create("libopus", "r")
        self._context.sample_rate = SAMPLE_RATE
        self._context.layout = _LAYOUT
        self._context.open()
        self._last_toc: int | None = None

    def decode(self, payload: bytes | None) -> Pcm:
        if payload is None:
            return self._conceal()
        if not payload:
            raise CodecError("an empty Opus payload is not a packet")
        self._last_toc = payload[0]
        return self._decode_packet(payload)

    def _conceal(self) -> Pcm:
        if self._last_toc is None:
            # Nothing decoded yet, so nothing to extrapolate from: silence is the honest concealment.
            return silence()
        return self._decode_packet(bytes([self._last_toc & _TOC_CODE_MASK]))

    def _decode_packet(self, payload: bytes) -> Pcm:
        try:
            frames = self._context.decode(av.Packet(payload))
        except av.FFmpegError as error:
            raise CodecError(f"libopus could not decode a packet: {error}") from error
        if not frames:
            return silence()
        pcm = np.concatenate([_frame_to_float(frame) for frame in frames], axis=1)
        if pcm.size != FRAME_SAMPLES * CHANNELS:
            # Discord and our encoder send 20 ms frames; another duration would break the mixer's clock.
            raise CodecError(f"decoded {pcm.size // CHANNELS} samples, expected {FRAME_SAMPLES}")
        return pcm.reshape(FRAME_SAMPLES, CHANNELS)


def _frame_to_float(frame: av.AudioFrame) -> npt.NDArray[np.float32]:
    """Packed samples as float32 in [-1, 1]; FFmpeg's libopus decoder emits s16 unless asked for flt."""
    if frame.format.name == "s16":
        return from_int16(np.asarray(frame.to_ndarray(), dtype=np.int16))
    if frame.format.name == "flt":
        return np.asarray(frame.to_ndarray(), dtype=np.float32)
    raise CodecError(f"unexpected decoder sample format {frame.format.name}")
