"""The start time a host types, as far as the domain reads it: exact forms, and placing a wall time in a zone.

`in 2h 30m` (elapsed time, so exact across a DST change) and Discord timestamps are read here. Wall-clock
phrases ("friday 8pm", "Dec 24 7pm") need a parsing library, which the domain may not import: the time reader in
`spaces_core.when_reader` reads them and places the wall time in the host's zone with `on_the_clock`, so what a
wall time means on a day the clocks change is decided here. The result is always an aware UTC datetime; whether a
start is allowed (not past, within the horizon) is the schedule's rule, not the reader's.

`_DISCORD_TIMESTAMP` is the one place in the core that knows Discord's markup, and only to READ it: a member may
paste the timestamp tag their client made. Writing markup is the bot's job; refusals here carry a `TimeRef`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.refs import TimeRef

__all__ = ["WHEN_EXAMPLES", "exact_when", "on_the_clock", "parse_offsets", "time_zone", "unreadable"]

_UNITS = {"d": 86400, "day": 86400, "days": 86400, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600}
_UNITS |= {"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60}
_UNITS |= {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1}  # "in 90s": quick tests and demos
_RELATIVE = re.compile(r"^in\s+((?:\d+\s*[a-z]+\s*)+)$")
_PART = re.compile(r"(\d+)\s*([a-z]+)")
# "18h" is 18:00 to some and "in 18 hours" to others (dateparser reads the latter): asked, not guessed.
_BARE_DURATION = re.compile(r"^(\d{1,2})\s*(h|hours?)$")
# The tag a Discord client makes for a moment, any style: input a member may paste, so read here (see above).
_DISCORD_TIMESTAMP = re.compile(r"^<t:(-?\d+)(?::[tdfr])?>$", re.IGNORECASE)
WHEN_EXAMPLES = "`friday 8pm`, `tomorrow 18:00`, `in 90 minutes`, `Dec 24 7pm`, `2026-05-01 18:00`"
_EXAMPLE_MOMENT = TimeRef(datetime(2026, 1, 1, tzinfo=UTC), "full")  # shown as the tag to paste, in a code span


def unreadable(text: str) -> InvalidInput:
    """The refusal for a time nobody could read, with what works instead."""
    shown = " ".join(text.split())[:60].replace("`", "'")
    return InvalidInput(
        f"I couldn't read `{shown}` as a time. Try {WHEN_EXAMPLES} or a Discord timestamp such as `{{example}}`.",
        example=_EXAMPLE_MOMENT,
    )


def time_zone(name: str | None) -> tzinfo:
    """The member's zone; UTC for a member who never set one."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"I don't know the time zone {name.strip()[:60]!r}. Use a name such as `Europe/Berlin` or "
            "`America/New_York`."
        ) from exc


def _relative(spec: str) -> timedelta | None:
    """`1h 30m` as a duration; None when a unit is unknown."""
    seconds = 0
    for amount, unit in _PART.findall(spec):
        if unit not in _UNITS:
            return None
        seconds += int(amount) * _UNITS[unit]
    return timedelta(seconds=seconds)


_OFFSET = re.compile(r"^(?:\d+\s*[a-z]+\s*)+$|^0$")
_OFFSET_HELP = "Write reminders as times before the start, separated by commas: `24h, 15m, 0` (0 = at the start)."


def parse_offsets(text: str) -> tuple[int, ...]:
    """`24h, 15m, 0` → seconds before the start, largest first, without repeats. Limits are checked elsewhere."""
    parts = [" ".join(part.split()) for part in text.strip().lower().split(",")]
    if len(text) > 200 or not all(_OFFSET.match(part) for part in parts):
        raise InvalidInput(_OFFSET_HELP)
    durations = [_relative(part) if part != "0" else timedelta(0) for part in parts]
    if None in durations:
        raise InvalidInput(_OFFSET_HELP)
    return tuple(sorted({int(d.total_seconds()) for d in durations if d is not None}, reverse=True))


def exact_when(text: str, *, now: datetime) -> datetime | None:
    """A Discord timestamp or `in 1h 30m` as aware UTC; None for any other phrase (a wall time to read in a zone).
    "in 2 fortnights" is refused here rather than passed on: it is this form, with a unit nobody uses. A bare
    "18h" is asked about: 18:00 to some, in 18 hours to others (and to dateparser)."""
    spec = " ".join(text.strip().lower().split())
    if match := _DISCORD_TIMESTAMP.match(spec):
        try:
            return datetime.fromtimestamp(int(match.group(1)), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise unreadable(text) from exc
    if match := _RELATIVE.match(spec):
        ahead = _relative(match.group(1))
        if ahead is None:
            raise unreadable(text)
        return now.astimezone(UTC) + ahead
    if (match := _BARE_DURATION.match(spec)) and int(match.group(1)) < 24:
        hours = match.group(1)
        raise InvalidInput(f"Did you mean in {hours} hours (`in {hours}h`) or at {hours}:00 (`{hours}:00`)?")
    return None


def on_the_clock(wall: datetime, zone: tzinfo) -> datetime:
    """A wall time read in `zone`, as aware UTC. Aware input (an ISO time with its offset) keeps its own offset.

    On the night the clocks go forward a wall time like 02:30 does not exist: refused, since either guess (01:30
    or 03:30) would surprise someone. On the night they go back it happens twice: the first one (`fold=0`), which
    the reply shows as a full date and time the host can check."""
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    placed = wall.replace(tzinfo=zone, fold=0)
    back = placed.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != wall:
        raise InvalidInput(
            f"{wall:%H:%M} doesn't exist on {wall:%b} {wall.day} in {zone}: the clocks skip that hour. "
            "Pick a time an hour later or earlier."
        )
    return placed.astimezone(UTC)
