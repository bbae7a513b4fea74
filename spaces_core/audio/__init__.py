"""Live audio: per-speaker jitter buffers, Opus codec, the mixer and the relay to listeners.

48 kHz stereo, 20 ms frames (see ``format``). No Discord here: the voice receive side plugs in through
``MixEngine.push``; sinks subscribe to ``RelayHub``; the ``Recorder`` is one of them. The parts with sockets are
the web listeners: ``webrtc`` (``WebListeners``: aiortc for signalling, ICE, DTLS and RTCP per listener) and,
below aiortc's sender, the fan-out that sends the hub's one Opus packet per frame to every listener without
re-encoding it (``webrtc_fanout``, ``webrtc_fanout_leg``, its loop in C in ``webrtc_fanout_loop``, every
listener on one UDP port in ``webrtc_port``, batched sends in ``webrtc_sendmmsg``; ``webrtc_ice`` chooses the
interface; ``webrtc_heap`` keeps connected listeners' peers out of full garbage collections). docs/BENCHMARKS.md
has what each costs.
"""

from spaces_core.audio.codec import CodecError, OpusDecoder, OpusEncoder
from spaces_core.audio.engine import MixEngine, PcmTap, SpeakerStream
from spaces_core.audio.jitter import Gap, JitterBuffer, JitterStats, RtpAudio
from spaces_core.audio.limiter import Limiter
from spaces_core.audio.mixer import MixedFrame, Mixer, SpeakerId, rms_dbfs
from spaces_core.audio.recorder import Recorder
from spaces_core.audio.relay import EncodedFrame, PacketSink, RelayClosed, RelayHub, Subscription
from spaces_core.audio.webrtc import BadOffer, ListenerRejected, RelayTrack, WebListeners
from spaces_core.audio.webrtc_ice import IceBindError

__all__ = [
    "BadOffer",
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
