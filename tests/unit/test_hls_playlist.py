"""The HLS playlist's text: the header a player needs, the sliding window, and EXT-X-ENDLIST at the end."""

from __future__ import annotations

import pytest

from spaces_core.audio.hls_playlist import Playlist, Segment


def test_a_new_live_playlist_has_the_header_and_no_end() -> None:
    playlist = Playlist(target_seconds=1.0)
    playlist.add(Segment(0, 1.0))
    assert playlist.render().splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:1",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="init.mp4"',
        "#EXTINF:1.000,",
        "seg0.m4s",
    ]


def test_the_window_slides_and_the_media_sequence_follows_its_first_segment() -> None:
    playlist = Playlist(target_seconds=2.0, window=3)
    dropped = [playlist.add(Segment(index, 2.0)) for index in range(5)]
    assert dropped == [None, None, None, Segment(0, 2.0), Segment(1, 2.0)]
    text = playlist.render()
    assert "#EXT-X-TARGETDURATION:2\n" in text
    assert "#EXT-X-MEDIA-SEQUENCE:2\n" in text
    assert [line for line in text.splitlines() if line.endswith(".m4s")] == ["seg2.m4s", "seg3.m4s", "seg4.m4s"]


def test_the_end_lists_a_short_last_segment_and_the_end_list_tag() -> None:
    playlist = Playlist(target_seconds=1.0)
    playlist.add(Segment(0, 1.0))
    playlist.add(Segment(1, 0.42))
    playlist.end()
    lines = playlist.render().splitlines()
    assert lines[-3:] == ["#EXTINF:0.420,", "seg1.m4s", "#EXT-X-ENDLIST"]
    with pytest.raises(ValueError, match="ENDLIST"):
        playlist.add(Segment(2, 1.0))


def test_segments_out_of_order_or_longer_than_the_target_are_refused() -> None:
    playlist = Playlist(target_seconds=1.0)
    playlist.add(Segment(4, 1.0))
    with pytest.raises(ValueError, match="does not follow"):
        playlist.add(Segment(6, 1.0))
    with pytest.raises(ValueError, match="exceeds the target"):
        playlist.add(Segment(5, 1.6))
    assert [segment.index for segment in playlist.segments] == [4]


def test_a_window_too_small_for_a_live_player_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        Playlist(target_seconds=1.0, window=2)


def test_a_segment_that_knows_when_it_started_carries_its_program_date_time() -> None:
    playlist = Playlist(target_seconds=1.0)
    playlist.add(Segment(0, 1.0, started_at=1_796_650_000.25))
    lines = playlist.render().splitlines()
    assert lines[-3:] == ["#EXT-X-PROGRAM-DATE-TIME:2026-12-07T13:26:40.250Z", "#EXTINF:1.000,", "seg0.m4s"]
