"""Live audio: per-speaker jitter buffers, Opus codec, the mixer and the relay to listeners.

48 kHz stereo, 20 ms frames (see ``format``). No Discord and no sockets here: the voice receive side plugs in
through ``MixEngine.push``; sinks subscribe to ``RelayHub``; the ``Recorder`` is one of them. The web listeners
(aiortc, and the fan-out below its sender) are an adapter over the hub, in ``spaces_core.webrtc``.
"""

from spaces_core.audio.codec import CodecError, OpusDecoder, OpusEncoder
from spaces_core.audio.engine import MixEngine, PcmTap, SpeakerStream
from spaces_core.audio.jitter import Gap, JitterBuffer, JitterStats, RtpAudio
from spaces_core.audio.limiter import Limiter
from spaces_core.audio.mixer import MixedFrame, Mixer, SpeakerId, rms_dbfs
from spaces_core.audio.recorder import Recorder
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
    "PcmTap",
    "Recorder",
    "RelayClosed",
    "RelayHub",
    "RtpAudio",
    "SpeakerId",
    "SpeakerStream",
    "Subscription",
    "rms_dbfs",
]
