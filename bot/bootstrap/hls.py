"""The composition root's HLS part: with HLS_DIR (and the web server), a segmenter on each public live Space's
hub and the listen page's HLS routes; otherwise nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp.web import Application

from bot.audio.rooms import AudioRooms
from bot.context import Tickets
from bot.hls.routes import add_hls_routes
from bot.hls.streams import HlsStreams
from bot.settings import Settings

__all__ = ["hls_routes"]


def hls_routes(settings: Settings, audio: AudioRooms, tickets: Tickets) -> list[Callable[[Application], None]]:
    """The web routes to add (none with HLS off); the streams start and stop with the web server's app."""
    if not settings.hls_dir or settings.web_port is None:
        return []

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
    return [add_hls_routes(streams, audio, ticketed)]
