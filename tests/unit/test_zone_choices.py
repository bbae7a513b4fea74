"""`/settings timezone`'s autocomplete: IANA zones filtered by what the member typed, at most 25."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest

from bot.schedules.cog import COMMON_ZONES, MAX_CHOICES, zone_choices


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("ber", "Europe/Berlin"),  # the city's start
        ("Europe/Ber", "Europe/Berlin"),  # the name's start
        ("new york", "America/New_York"),  # spaces as underscores, any case
        ("TOKYO", "Asia/Tokyo"),
        ("utc", "UTC"),
        ("york", "America/New_York"),  # inside the name
    ],
)
def test_zones_match_what_was_typed(typed, first):
    assert zone_choices(typed)[0] == first


def test_choices_are_real_zones_at_most_25_and_starts_come_first():
    found = zone_choices("an")  # many matches: America/Anchorage… and Asia/Anadyr, then America/Santiago…
    assert len(found) == MAX_CHOICES
    assert set(found) <= available_timezones()
    starts = [
        name for name in found if name.lower().rsplit("/", 1)[-1].startswith("an") or name.lower().startswith("an")
    ]
    assert found[: len(starts)] == starts


def test_nothing_typed_offers_common_zones_and_nonsense_offers_none():
    assert zone_choices("  ") == list(COMMON_ZONES) and set(COMMON_ZONES) <= available_timezones() | {"UTC"}
    assert zone_choices("mars/olympus") == []
