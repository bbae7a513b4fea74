"""The composition root's Janus part: the edges from ``JANUS_EDGES``, fed by every live Space's audio room.

Without ``JANUS_EDGES`` there are none and the bot's in-process fan-out serves every web listener. With them, each
room's relay hub also feeds the edges (a mountpoint per Space on each), the room counts the edges' listeners
with its own, and the web server (which starts and stops the edges) sends listen pages to the least loaded edge.
"""

from __future__ import annotations

from bot.audio.rooms import AudioRooms, SpaceAudio
from bot.settings import Settings
from spaces_core.webrtc.janus import Edges, parse_edges

__all__ = ["janus_edges"]


def janus_edges(settings: Settings, audio: AudioRooms) -> Edges | None:
    if not settings.janus_edges:
        return None
    edges = Edges(parse_edges(settings.janus_edges), api_secret=settings.janus_api_secret)

    def opened(room: SpaceAudio) -> None:
        space_id = room.space.id
        edges.open(space_id, room.hub)
        room.edge_listeners = lambda: edges.listeners(space_id)
        room.edge_peak = lambda: edges.peak(space_id)

    audio.watch(opened, edges.close)
    return edges
