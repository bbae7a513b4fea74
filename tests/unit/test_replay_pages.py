"""The replay page's server-side pieces: the header escapes what members chose, the download's file name is safe
on any system and its header says it in UTF-8 and ASCII, lengths read as a person says them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.web.replay_pages import (
    ReplayFacts,
    attachment_header,
    error_page,
    header_html,
    human_length,
    page_html,
    replay_filename,
)

FACTS = ReplayFacts(
    title='<script>alert(1)</script> & "friends"',
    host_name="<b>Maya</b>",
    host_avatar='https://cdn.discordapp.com/avatars/1/a.png?size=64&x="',
    server_name="Beat <Makers>",
    server_icon=None,
    started_at=datetime(2026, 12, 7, 21, 30, tzinfo=timezone(timedelta(hours=2))),
    length_seconds=3725.4,
)


def test_the_header_escapes_every_name_and_gives_the_date_in_utc_for_the_script_to_localise() -> None:
    header = header_html(FACTS)
    assert "<script>" not in header and "<b>" not in header and "<Makers>" not in header
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;" in header
    assert 'src="https://cdn.discordapp.com/avatars/1/a.png?size=64&amp;x=&quot;"' in header
    assert '<time id="when" datetime="2026-12-07T19:30:00+00:00">07 December 2026, 19:30 UTC</time>' in header
    assert '<span id="length">1 h 02 min</span>' in header
    assert ">BM</span>" in header  # the server has no icon: its initials


def test_a_title_that_reads_like_a_placeholder_is_not_filled_in() -> None:
    facts = ReplayFacts("%SRC% %SCRIPT%", "hana", None, "Beat Makers", None, datetime.now(UTC), None)
    page = page_html(facts, audio="/replays/ab/audio.ogg?token=t", lines="/replays/ab/transcript.json?token=t")
    assert '<h1 id="space-title">%SRC% %SCRIPT%</h1>' in page
    assert '<span id="length"></span>' in page  # unknown: the player's own length goes in


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Friday AMA", "Friday AMA.ogg"),
        ('a/b\\c:d*e?f"g<h>i|j', "a b c d e f g h i j.ogg"),
        ("evil\u202egpj.exe", "evil gpj.exe.ogg"),  # a right-to-left override can't disguise the extension
        ("line\nbreak\ttab\x00nul", "line break tab nul.ogg"),
        ("   ...   ", "Space replay.ogg"),
        ("Café 🎙 night", "Café 🎙 night.ogg"),
        ("x" * 200, "x" * 80 + ".ogg"),
    ],
)
def test_the_download_is_named_after_the_title_made_safe(title: str, name: str) -> None:
    facts = ReplayFacts(title, "hana", None, "Beat Makers", None, datetime.now(UTC), None)
    assert replay_filename(facts) == name


def test_the_attachment_header_names_the_file_in_utf8_and_in_ascii() -> None:
    assert attachment_header("Café 🎙 night.ogg") == (
        "attachment; filename=\"Caf night.ogg\"; filename*=UTF-8''Caf%C3%A9%20%F0%9F%8E%99%20night.ogg"
    )
    assert attachment_header("🎙.ogg") == "attachment; filename=\"Space replay.ogg\"; filename*=UTF-8''%F0%9F%8E%99.ogg"


def test_lengths_read_as_a_person_says_them() -> None:
    assert [human_length(s) for s in (0, 4.4, 59.6, 250, 3600, 7325)] == [
        "0 s",
        "4 s",
        "1 min 00 s",
        "4 min 10 s",
        "1 h 00 min",
        "2 h 02 min",
    ]


def test_the_error_page_escapes_its_reason() -> None:
    page = error_page("This link can't open the replay", "<i>no</i>")
    assert "&lt;i&gt;no&lt;/i&gt;" in page and "<code>/space replay</code>" in page
