"""The few libopus calls the mix needs, through ctypes: no PyAV packet and frame objects every 20 ms.

Which libopus: the copy inside PyAV's wheel when there is one, because that is the library PyAV's own
``libopus`` decoder runs, so decoding here is bit-exact with decoding through PyAV (FFmpeg's wrapper, without
an Ogg header, is a one-stream ``opus_multistream_decode`` with no gain and no pre-skip). Debian's libopus0 is
older (1.3.1 beside the wheel's 1.6.1 at the time of writing) and its output differs in the last bits, so it
is only the fallback, for a PyAV built against the system's FFmpeg (which then uses that same library).

The encoder is set up as FFmpeg's ``libopus`` encoder sets it up (a one-stream multistream encoder and the
same controls, unconstrained VBR among them), so its packets are the bytes PyAV's would be.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import weakref
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt

__all__ = ["LibOpusDecoder", "LibOpusEncoder", "LibOpusError", "load"]

_MAX_FRAME_SAMPLES: Final = 5760  # 120 ms at 48 kHz, the longest Opus packet
_MAX_PACKET_BYTES: Final = 4000  # above libopus's own cap for one stream (1275 bytes per frame, 3 frames)
_OK: Final = 0
APPLICATIONS: Final = {"voip": 2048, "audio": 2049, "lowdelay": 2051}  # OPUS_APPLICATION_*
SET_BITRATE: Final = 4002  # the OPUS_SET_*_REQUEST numbers of opus_defines.h
SET_VBR: Final = 4006
SET_COMPLEXITY: Final = 4010
SET_INBAND_FEC: Final = 4012
SET_PACKET_LOSS_PERC: Final = 4014
SET_DTX: Final = 4016
SET_VBR_CONSTRAINT: Final = 4020
SET_PHASE_INVERSION_DISABLED: Final = 4046


class LibOpusError(Exception):
    """libopus refused a call; the message is libopus's own."""


@functools.cache
def load() -> ctypes.CDLL | None:
    """libopus with the decoder prototypes declared, or None when no copy can be found."""
    path = _bundled_with_pyav() or ctypes.util.find_library("opus")
    if path is None:
        return None
    lib = ctypes.CDLL(path)
    lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_decoder_destroy.restype = None
    # data is a bytes object (ctypes passes its buffer, no copy); pcm is the address of our int16 buffer.
    lib.opus_decode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int32,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_int,
    ]
    lib.opus_decode.restype = ctypes.c_int
    lib.opus_multistream_encoder_create.argtypes = [
        ctypes.c_int32,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.opus_multistream_encoder_create.restype = ctypes.c_void_p
    lib.opus_multistream_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_multistream_encoder_destroy.restype = None
    lib.opus_multistream_encode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_void_p,
        ctypes.c_int32,
    ]
    lib.opus_multistream_encode.restype = ctypes.c_int32
    # opus_multistream_encoder_ctl is variadic: no argtypes, every argument passed as an explicit ctypes int.
    lib.opus_multistream_encoder_ctl.restype = ctypes.c_int
    lib.opus_strerror.argtypes = [ctypes.c_int]
    lib.opus_strerror.restype = ctypes.c_char_p
    return lib


def _bundled_with_pyav() -> str | None:
    package = Path(av.__file__).resolve().parent
    # auditwheel (Linux) renames it libopus-<hash>.so.0..., delocate (macOS) keeps it under av/.dylibs.
    for folder, pattern in ((package.parent / "av.libs", "libopus*.so*"), (package / ".dylibs", "libopus*.dylib")):
        for candidate in sorted(folder.glob(pattern)):
            return str(candidate)
    return None


class LibOpusDecoder:
    """One ``OpusDecoder*``; ``decode`` writes into a reused int16 buffer and returns a view of it.

    The view is overwritten by the next call: copy (or convert) it before decoding again.
    """

    def __init__(self, lib: ctypes.CDLL, *, sample_rate: int, channels: int) -> None:
        error = ctypes.c_int(_OK)
        state = lib.opus_decoder_create(sample_rate, channels, ctypes.byref(error))
        if error.value != _OK or not state:
            raise LibOpusError(_message(lib, error.value))
        self._lib = lib
        self._decode = lib.opus_decode
        self._state: int = state
        self._pcm = np.zeros((_MAX_FRAME_SAMPLES, channels), dtype=np.int16)
        self._pcm_address: int = self._pcm.ctypes.data
        weakref.finalize(self, lib.opus_decoder_destroy, state)

    def decode(self, packet: bytes) -> npt.NDArray[np.int16]:
        samples: int = self._decode(self._state, packet, len(packet), self._pcm_address, _MAX_FRAME_SAMPLES, 0)
        if samples < 0:
            raise LibOpusError(_message(self._lib, samples))
        return self._pcm[:samples]


def _message(lib: ctypes.CDLL, code: int) -> str:
    text: bytes | None = lib.opus_strerror(code)
    return text.decode() if text else f"libopus error {code}"


class LibOpusEncoder:
    """One ``OpusMSEncoder*`` with one stream (coupled when stereo), as FFmpeg creates it for 1-2 channels."""

    def __init__(
        self, lib: ctypes.CDLL, *, sample_rate: int, channels: int, application: int, controls: dict[int, int]
    ) -> None:
        error = ctypes.c_int(_OK)
        mapping = bytes(range(channels))
        state = lib.opus_multistream_encoder_create(
            sample_rate, channels, 1, channels - 1, mapping, application, ctypes.byref(error)
        )
        if error.value != _OK or not state:
            raise LibOpusError(_message(lib, error.value))
        weakref.finalize(self, lib.opus_multistream_encoder_destroy, state)
        for request, value in controls.items():
            code = lib.opus_multistream_encoder_ctl(
                ctypes.c_void_p(state), ctypes.c_int(request), ctypes.c_int32(value)
            )
            if code != _OK:
                raise LibOpusError(f"control {request}: {_message(lib, code)}")
        self._lib = lib
        self._encode = lib.opus_multistream_encode
        self._state: int = state
        self._packet = ctypes.create_string_buffer(_MAX_PACKET_BYTES)

    def encode(self, pcm: npt.NDArray[np.int16], frame_samples: int) -> bytes:
        """Interleaved int16 samples (C-contiguous) of one frame in, one packet out."""
        size: int = self._encode(self._state, pcm.ctypes.data, frame_samples, self._packet, _MAX_PACKET_BYTES)
        if size < 0:
            raise LibOpusError(_message(self._lib, size))
        return ctypes.string_at(self._packet, size)
