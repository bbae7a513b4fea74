"""Opus encode and decode with libopus (PyAV's copy), one 20 ms frame at a time.

Loss concealment: FFmpeg's libopus wrapper does not expose ``opus_decode(..., decode_fec=1)``, so in-band FEC
cannot be decoded through PyAV; a missing packet is concealed with Opus PLC instead. PLC is reached by feeding
the decoder a packet made of the last TOC byte alone: RFC 6716 §3.2.1 lets a frame be zero bytes long, and
libopus conceals such a frame with its normal PLC at the previous mode and frame size. (An empty av.Packet
would mean "flush" to FFmpeg, not "lost".) The direct libopus path (``libopus``) feeds the same one-byte
packet, so both paths conceal identically. The encoder still *produces* FEC, for WebRTC listeners' browsers.
"""

from __future__ import annotations

import fractions
from typing import Final, Literal

import av
import numpy as np
import numpy.typing as npt

from spaces_core.audio import libopus
from spaces_core.audio.format import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, Pcm, from_int16, silence, to_int16
from spaces_core.audio.libopus import LibOpusDecoder, LibOpusEncoder, LibOpusError

__all__ = ["CodecError", "OpusDecoder", "OpusEncoder"]

_LAYOUT: Final = "stereo" if CHANNELS == 2 else "mono"
_TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)
_FROM_INT16: Final = np.float32(1 / 32768)
_TOC_CODE_MASK: Final = 0xFC  # clears the 2 "frame count code" bits: code 0, one frame


class CodecError(Exception):
    """Opus could not encode or decode a frame (a corrupt packet, a wrong frame shape)."""


class OpusEncoder:
    """PCM frames in, one Opus packet (bytes) out per 20 ms frame.

    ``application="voip"`` by default: speech, and it is the mode in which libopus emits in-band FEC. Like the
    decoder, it calls libopus directly when it can (the same library and settings as PyAV's encoder, so the
    same bytes; ``backend="pyav"`` forces PyAV).
    """

    def __init__(
        self,
        *,
        bitrate: int = 64_000,
        application: Literal["voip", "audio", "lowdelay"] = "voip",
        fec: bool = True,
        expected_loss_percent: int = 5,
        backend: Literal["auto", "pyav"] = "auto",
    ) -> None:
        lib = libopus.load() if backend == "auto" else None
        self._impl: LibOpusEncoder | av.AudioCodecContext
        if lib is not None:
            # What FFmpeg's libopus encoder sets from the options below and its own defaults.
            controls = {
                libopus.SET_BITRATE: bitrate,
                libopus.SET_COMPLEXITY: 10,
                libopus.SET_VBR: 1,
                libopus.SET_VBR_CONSTRAINT: 0,
                libopus.SET_PACKET_LOSS_PERC: expected_loss_percent,
                libopus.SET_INBAND_FEC: int(fec),
                libopus.SET_PHASE_INVERSION_DISABLED: 0,
                libopus.SET_DTX: 0,
            }
            self._impl = LibOpusEncoder(
                lib,
                sample_rate=SAMPLE_RATE,
                channels=CHANNELS,
                application=libopus.APPLICATIONS[application],
                controls=controls,
            )
        else:
            self._impl = _pyav_encoder(bitrate, application, fec=fec, expected_loss_percent=expected_loss_percent)
        self._pts = 0

    @property
    def backend(self) -> Literal["libopus", "pyav"]:
        return "libopus" if isinstance(self._impl, LibOpusEncoder) else "pyav"

    def encode(self, pcm: Pcm) -> bytes:
        if pcm.shape != (FRAME_SAMPLES, CHANNELS):
            raise CodecError(f"expected a frame of shape {(FRAME_SAMPLES, CHANNELS)}, got {pcm.shape}")
        if isinstance(self._impl, LibOpusEncoder):
            try:
                return self._impl.encode(to_int16(pcm), FRAME_SAMPLES)
            except LibOpusError as error:
                raise CodecError(f"libopus could not encode a frame: {error}") from error
        frame = av.AudioFrame.from_ndarray(to_int16(pcm), format="s16", layout=_LAYOUT)
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        self._pts += FRAME_SAMPLES
        packets = self._impl.encode(frame)
        # libopus is synchronous: one 20 ms frame in, one packet out; anything else is a bug worth seeing.
        if len(packets) != 1:
            raise CodecError(f"libopus returned {len(packets)} packets for one frame")
        return bytes(packets[0])


def _pyav_encoder(bitrate: int, application: str, *, fec: bool, expected_loss_percent: int) -> av.AudioCodecContext:
    context = av.CodecContext.create("libopus", "w")
    context.sample_rate = SAMPLE_RATE
    context.layout = _LAYOUT
    context.format = "s16"
    context.bit_rate = bitrate
    context.options = {
        "application": application,
        "frame_duration": "20",
        "fec": "1" if fec else "0",
        # libopus only spends bits on FEC when told to expect loss.
        "packet_loss": str(expected_loss_percent),
    }
    context.open()
    return context


class OpusDecoder:
    """Opus packets in, PCM frames out; ``decode(None)`` conceals a lost packet (PLC).

    Calls libopus directly (``libopus``) when it can find the library, else goes through PyAV; both run the
    same libopus, so the output is the same, but PyAV's packet and frame objects cost about a fifth of each
    decode, 13 times per 20 ms in a full Space. ``backend="pyav"`` forces the PyAV path (tests compare the two).
    """

    def __init__(self, *, backend: Literal["auto", "pyav"] = "auto") -> None:
        lib = libopus.load() if backend == "auto" else None
        self._impl: LibOpusDecoder | av.AudioCodecContext
        if lib is not None:
            self._impl = LibOpusDecoder(lib, sample_rate=SAMPLE_RATE, channels=CHANNELS)
        else:
            self._impl = av.CodecContext.create("libopus", "r")
            self._impl.sample_rate = SAMPLE_RATE
            self._impl.layout = _LAYOUT
            self._impl.open()
        self._last_toc: int | None = None

    @property
    def backend(self) -> Literal["libopus", "pyav"]:
        return "libopus" if isinstance(self._impl, LibOpusDecoder) else "pyav"

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
        if not isinstance(self._impl, LibOpusDecoder):
            return _decode_with_pyav(self._impl, payload)
        try:
            samples = self._impl.decode(payload)
        except LibOpusError as error:
            raise CodecError(f"libopus could not decode a packet: {error}") from error
        if not len(samples):
            return silence()
        if len(samples) != FRAME_SAMPLES:
            # Discord and our encoder send 20 ms frames; another duration would break the mixer's clock.
            raise CodecError(f"decoded {len(samples)} samples, expected {FRAME_SAMPLES}")
        # A fresh array (the decoder's buffer is reused); x / 32768 and x * 2**-15 are the same float32.
        pcm: Pcm = np.multiply(samples, _FROM_INT16, dtype=np.float32)
        return pcm


def _decode_with_pyav(context: av.AudioCodecContext, payload: bytes) -> Pcm:
    try:
        frames = context.decode(av.Packet(payload))
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
