"""The HLS media playlist of one live Space: a sliding window of fMP4 segments, closed by EXT-X-ENDLIST.

Pure and small so it is tested on its own: ``Playlist`` keeps the segments a player may still ask for and
renders RFC 8216 text. Version 7 because the segments are fragmented MP4 (EXT-X-MAP needs version 6 or later
for a media playlist without I-frames only; 7 is what Apple's validator asks of fMP4).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

__all__ = ["INIT_NAME", "PLAYLIST_NAME", "Playlist", "Segment", "segment_name"]

PLAYLIST_NAME: Final = "index.m3u8"
INIT_NAME: Final = "init.mp4"


def segment_name(index: int) -> str:
    return f"seg{index}.m4s"


@dataclass(frozen=True, slots=True)
class Segment:
    index: int  # the media sequence number: counts from 0 for the Space's stream
    seconds: float
    # When its first frame entered the relay hub (Unix time): EXT-X-PROGRAM-DATE-TIME, from which a player
    # (hls.js's `playingDate`) tells how far behind the Stage it plays.
    started_at: float | None = None

    @property
    def name(self) -> str:
        return segment_name(self.index)


class Playlist:
    """The last ``window`` segments. A live player starts about three target durations from the end (RFC 8216
    §6.3.3), so a window of a few more than that lets a slow player catch up without listing stale audio."""

    def __init__(self, *, target_seconds: float, window: int = 6) -> None:
        if window < 3:
            raise ValueError("an HLS live window needs at least 3 segments (RFC 8216 §6.2.2)")
        if target_seconds <= 0:
            raise ValueError("the target duration must be above 0 seconds")
        # EXTINF rounded to the nearest integer may not exceed it: the longest segment we cut, rounded up.
        self.target = max(1, math.ceil(target_seconds))
        self._segments: deque[Segment] = deque(maxlen=window)
        self.ended = False

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(self._segments)

    def add(self, segment: Segment) -> Segment | None:
        """List ``segment``; returns the one that fell out of the window, if any (its file may go soon)."""
        if self.ended:
            raise ValueError("the playlist has ended: no segment may follow EXT-X-ENDLIST")
        if self._segments and segment.index != self._segments[-1].index + 1:
            raise ValueError(f"segment {segment.index} does not follow {self._segments[-1].index}")
        if round(segment.seconds) > self.target:
            raise ValueError(f"a {segment.seconds:.3f} s segment exceeds the target duration of {self.target} s")
        dropped = self._segments[0] if len(self._segments) == self._segments.maxlen else None
        self._segments.append(segment)
        return dropped

    def end(self) -> None:
        self.ended = True

    def render(self) -> str:
        first = self._segments[0].index if self._segments else 0
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:7",
            f"#EXT-X-TARGETDURATION:{self.target}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
            "#EXT-X-INDEPENDENT-SEGMENTS",  # every Opus packet decodes on its own: any segment is a start
            f'#EXT-X-MAP:URI="{INIT_NAME}"',
        ]
        for segment in self._segments:
            if segment.started_at is not None:
                stamp = datetime.fromtimestamp(segment.started_at, UTC).isoformat(timespec="milliseconds")
                lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp.replace('+00:00', 'Z')}")
            lines += [f"#EXTINF:{segment.seconds:.3f},", segment.name]
        if self.ended:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"
