"""Janus edges (janus-gateway 1.1.x, its streaming plugin): the web listeners past one machine.

``api`` is a small client of Janus's HTTP API, ``rtp`` the relay-hub sink that sends the encoded mix to every
edge's mountpoint, ``edges`` owns the configured edges (mountpoints per Space, health, least-loaded choice,
listener signalling). Without edges configured the in-process fan-out (``spaces_core.webrtc``) serves listeners.
"""

from spaces_core.webrtc.janus.api import JanusError, JanusGone, JanusSession
from spaces_core.webrtc.janus.edges import Edge, EdgeConfig, Edges, NoEdge, UnknownListener, parse_edges
from spaces_core.webrtc.janus.rtp import RtpSink

__all__ = [
    "Edge",
    "EdgeConfig",
    "Edges",
    "JanusError",
    "JanusGone",
    "JanusSession",
    "NoEdge",
    "RtpSink",
    "UnknownListener",
    "parse_edges",
]
