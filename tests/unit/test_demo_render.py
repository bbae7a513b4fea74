"""The demo's rendering of Discord markup for a terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from demo.render import BOLD, PLAIN, Names, local_time, readable, relative_time

NAMES = Names(users={1: "hana", 2: "lee"}, channels={10: "Main Stage"}, roles={20: "Moderators"})
NOW = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)


def test_mentions_become_the_names_a_member_sees() -> None:
    text = "<@1> brought <@!2> up in <#10>; <@&20> were told; <@99> left"
    shown = readable(text, NAMES, now=NOW)
    assert shown == "@hana brought @lee up in #Main Stage; @Moderators were told; @unknown-user left"


def test_bold_is_terminal_bold_or_plain() -> None:
    text = "🗓️ **Friday AMA** is scheduled; press `Remind me`"
    assert readable(text, NAMES, now=NOW) == "🗓️ Friday AMA is scheduled; press Remind me"
    assert readable(text, NAMES, now=NOW, bold=True) == f"🗓️ {BOLD}Friday AMA{PLAIN} is scheduled; press Remind me"


def test_subtext_marker_is_dropped() -> None:
    assert readable("Live now\n-# Only you can see this", NAMES, now=NOW) == "Live now\nOnly you can see this"


def test_timestamps_are_local_times_and_relative_phrases() -> None:
    stamp = int((NOW + timedelta(minutes=3)).timestamp())
    shown = readable(f"starts <t:{stamp}:F> (<t:{stamp}:R>)", NAMES, now=NOW)
    expected = local_time(datetime.fromtimestamp(stamp, UTC).astimezone(), "F")
    assert shown == f"starts {expected} (in 3 minutes)"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("t", "18:05 +02"),
        ("T", "18:05:09 +02"),
        ("d", "2026-05-01"),
        ("D", "1 May 2026"),
        ("f", "1 May 2026, 18:05 +02"),
        ("F", "Friday 1 May 2026, 18:05 +02"),
    ],
)
def test_local_time_names_its_zone(style: str, expected: str) -> None:
    moment = datetime(2026, 5, 1, 18, 5, 9, tzinfo=timezone(timedelta(hours=2), "+02"))
    assert local_time(moment, style) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "in 0 seconds"), (1, "in 1 second"), (-45, "45 seconds ago"), (180, "in 3 minutes"), (-7200, "2 hours ago")],
)
def test_relative_time(seconds: float, expected: str) -> None:
    assert relative_time(seconds) == expected
