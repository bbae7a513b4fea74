"""Live audio: per-speaker jitter buffers, Opus codec, the mixer and the relay to listeners.

48 kHz stereo, 20 ms frames (see ``format``). No Discord here: the voice receive side plugs in through
``MixEngine.push``; sinks subscribe to ``RelayHub``. The one part with sockets is ``webrtc``, the web
listeners (aiortc), which send the hub's shared Opus frames without re-encoding them.
"""

from spaces_core.audio.codec import CodecError, OpusDecoder, OpusEncoder
from spaces_core.audio.engine import MixEngine, PcmTap, SpeakerStream
from spaces_core.audio.jitter import Gap, JitterBuffer, JitterStats, RtpAudio
from spaces_core.audio.limiter import Limiter
from spaces_core.audio.mixer import MixedFrame, Mixer, SpeakerId, rms_dbfs
from spaces_core.audio.recorder import Recorder
from spaces_core.audio.relay import EncodedFrame, PacketSink, RelayClosed, RelayHub, Subscription
from spaces_core.audio.webrtc import ListenerRejected, RelayTrack, WebListeners
from spaces_core.audio.webrtc_ice import IceBindError

__all__ = [
    "CodecError",
    "EncodedFrame",
    "Gap",
    "IceBindError",
    "JitterBuffer",
    "JitterStats",
    "Limiter",
    "ListenerRejected",
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
    "RelayTrack",
    "RtpAudio",
    "SpeakerId",
    "SpeakerStream",
    "Subscription",
    "WebListeners",
    "rms_dbfs",
]
