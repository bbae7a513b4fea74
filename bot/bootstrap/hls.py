"""The composition root's HLS part: with HLS_DIR (and the web server), a segmenter on each public live Space's
hub, the listen page's HLS routes and broadcast; otherwise nothing streams and broadcast says why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp.web import Application

from bot.audio.rooms import AudioRooms
from bot.context import Broadcasts, Tickets
from bot.hls.routes import add_hls_routes, add_page_script
from bot.hls.streams import HlsOff, HlsStreams
from bot.settings import Settings

__all__ = ["HlsFeature", "hls_feature"]


@dataclass(frozen=True, slots=True)
class HlsFeature:
    broadcasts: Broadcasts  # for `/space broadcast` (the AppContext's `hls`)
    routes: list[Callable[[Application], None]] = field(default_factory=list)  # the streams start with the app


def hls_feature(settings: Settings, audio: AudioRooms, tickets: Tickets) -> HlsFeature:
    if not settings.hls_dir or settings.web_port is None:
        return HlsFeature(HlsOff(), [add_page_script])

    async def ticketed(space_id: str) -> bool:
        room = audio.get(space_id)
        return room is not None and await tickets.ticketed(room.space)

    streams = HlsStreams(
        Path(settings.hls_dir),
        base_url=settings.hls_base_url,
        ticketed=tickets.ticketed,
        segment_seconds=settings.hls_segment_seconds,
    )
    streams.watch(audio)
    return HlsFeature(streams, [add_hls_routes(streams, audio, ticketed)])
