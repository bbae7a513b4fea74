"""Live audio: per-speaker jitter buffers, Opus codec, the mixer and the relay to listeners.

48 kHz stereo, 20 ms frames (see ``format``). Pure and loop-bound only: no Discord, no sockets; the voice
receive side and the WebRTC/recorder sinks plug in through ``MixEngine.push`` and ``RelayHub``.
"""

from spaces_core.audio.codec import CodecError, OpusDecoder, OpusEncoder
from spaces_core.audio.engine import MixEngine, SpeakerStream
from spaces_core.audio.jitter import Gap, JitterBuffer, JitterStats, RtpAudio
from spaces_core.audio.limiter import Limiter
from spaces_core.audio.mixer import MixedFrame, Mixer, SpeakerId, rms_dbfs
from spaces_core.audio.relay import EncodedFrame, PacketSink, RelayClosed, RelayHub, Subscription

__all__ = [
    "CodecError",
    "EncodedFrame",
    "Gap",
    "JitterBuffer",
    "JitterStats",
    "Limiter",
    "MixEngine",
    "MixedFrame",
    "Mixer",
    "OpusDecoder",
    "OpusEncoder",
    "PacketSink",
    "RelayClosed",
    "RelayHub",
    "RtpAudio",
    "SpeakerId",
    "SpeakerStream",
    "Subscription",
    "rms_dbfs",
]
