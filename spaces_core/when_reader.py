"""The start times members type — "friday 8pm", "8pm", "next monday 18:00", "Dec 24 7pm", "24/12 19:00" — read
with dateparser, in the member's own zone, preferring the future.

dateparser (maintained, 1.5.0 of 2026) was chosen after running those phrases through it, parsedatetime and
dateutil's parser with a Friday-21:00 clock: dateutil refuses "tomorrow", "next monday" and "in 90 minutes" and
reads "8pm" and "friday 8pm" as today, already past; parsedatetime (no release since 2020) also reads "8pm" as
today and "24/12 19:00" silently as another day. dateparser read every one as a member means it, prefers the
future when told to, and says whether a time of day was given (`period`): that is how "friday" alone is asked for
a time instead of meaning midnight.

What dateparser is not trusted with, on purpose: elapsed times and Discord timestamps (the domain reads those
exactly, across DST changes), placing the wall time in the zone (the domain decides what a skipped or doubled hour
means), and day/month order: "5/6" is asked about, never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Any

from dateparser.date import DateDataParser

from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.when import exact_when, on_the_clock, unreadable

__all__ = ["DateparserWhen"]

MAX_TYPED = 80
_SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?!\d)")  # 24/12, 12/24, 5/6 (a year may follow)
_CLOCK = re.compile(r"\d:\d|\d\s*(?:am|pm)\b|\b(?:noon|midnight)\b")
_WEEKDAY = re.compile(r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\b")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class DateparserWhen:
    """The `WhenReader` the services use: `read` returns an aware UTC datetime or raises `InvalidInput` with
    examples. It checks no schedule rule (past, horizon): a clearly read time in the past is the schedule's to
    refuse, naming the time that was understood."""

    def read(self, text: str, *, now: datetime, zone: tzinfo) -> datetime:
        if not text.strip() or len(text) > MAX_TYPED:
            raise unreadable(text)
        exact = exact_when(text, now=now)
        if exact is not None:
            return exact
        spec = " ".join(text.strip().lower().split())
        local_now = now.astimezone(zone).replace(tzinfo=None)
        found = _parser(_date_order(spec), local_now).get_date_data(spec)
        wall: datetime | None = found.date_obj
        if wall is None:
            raise unreadable(text)
        if found.period != "time":
            # "tomorrow 25:00" comes back as a day: it had a clock, just a wrong one.
            if _CLOCK.search(spec):
                raise unreadable(text)
            raise InvalidInput("Say at what time too, for example `friday 8pm` or `tomorrow 18:00`.")
        return on_the_clock(_this_week(spec, wall, local_now), zone)


def _parser(order: str, local_now: datetime) -> Any:
    """A parser for one reading: settings (the base time among them) are fixed when it is built, so one per call.
    Only the phrase parsers: a bare number is not taken as a Unix timestamp."""
    return DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
            "DATE_ORDER": order,
            "RETURN_TIME_AS_PERIOD": True,
            "PARSERS": ["relative-time", "absolute-time"],
        },
    )


def _date_order(spec: str) -> str:
    """DMY unless a slashed day/month says otherwise. `24/12` and `12/24` can only be read one way; `5/6` is a
    question, since half the world would read it as 5 June and the other half as May 6."""
    match = _SLASHED.search(spec)
    if match is None:
        return "DMY"
    first, second = int(match.group(1)), int(match.group(2))
    if second > 12 >= first:
        return "MDY"
    if first <= 12 and second <= 12 and first != second:
        raise InvalidInput(
            f"`{first}/{second}` could be {first} {_MONTHS[second - 1]} or {_MONTHS[first - 1]} {second}. Write "
            f"the month as a word, e.g. `{first} {_MONTHS[second - 1]} 19:00` or `{_MONTHS[first - 1]} {second} "
            "19:00`."
        )
    return "DMY"


def _this_week(spec: str, wall: datetime, local_now: datetime) -> datetime:
    """ "friday 8pm" typed on a Friday before 8 pm is tonight; dateparser's future preference jumps a week
    whenever the day named is today. "next friday" keeps the week's jump: that is what "next" asks for."""
    earlier = wall - timedelta(days=7)
    if (
        _WEEKDAY.search(spec)
        and "next" not in spec.split()
        and earlier.date() == local_now.date()
        and earlier > local_now
    ):
        return earlier
    return wall
