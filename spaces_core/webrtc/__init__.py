"""Web listeners over WebRTC: the aiortc adapter that relays the audio engine's mix to browsers.

``listeners`` (``WebListeners``: aiortc for signalling, ICE, DTLS and RTCP per listener) and, below aiortc's
sender, the fan-out that sends the hub's one Opus packet per frame to every listener without re-encoding it
(``fanout``, ``fanout_leg``, its loop in C in ``fanout_loop``, every listener on one UDP port in ``port``,
batched sends in ``sendmmsg``; ``ice`` chooses the interface; ``heap`` keeps connected listeners' peers out of
full garbage collections). docs/BENCHMARKS.md has what each costs.

Everything reached below the public API of aiortc, aioice and pylibsrtp is in ``compat`` (one module per
library), checked once when the listeners are built: on a mismatch the listeners use aiortc's own sender.
"""

from spaces_core.webrtc.heap import ListenerHeap
from spaces_core.webrtc.ice import IceBindError
from spaces_core.webrtc.listeners import BadOffer, ListenerRejected, RelayTrack, WebListeners

__all__ = ["BadOffer", "IceBindError", "ListenerHeap", "ListenerRejected", "RelayTrack", "WebListeners"]
