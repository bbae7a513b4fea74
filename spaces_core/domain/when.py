"""Reading the start time a host types: `in 2h`, `tomorrow 18:00`, an ISO date, or a Discord timestamp.

Wall-clock forms are read in the host's own time zone (set once with `/settings timezone`), so "18:00" means
18:00 where the host lives; the result is always an aware UTC datetime.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spaces_core.domain.errors import InvalidInput

__all__ = ["parse_offsets", "parse_when", "time_zone"]

_UNITS = {"d": 86400, "day": 86400, "days": 86400, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600}
_UNITS |= {"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60}
_UNITS |= {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1}  # "in 90s": quick tests and demos
_RELATIVE = re.compile(r"^in\s+((?:\d+\s*[a-z]+\s*)+)$")
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_DISCORD = re.compile(r"^<t:(-?\d+)(?::[tdfr])?>$")
_DAY_AND_TIME = re.compile(r"^(today|tomorrow)(?:\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?)?$")
_HELP = (
    "I couldn't read that time. Try `in 2h`, `tomorrow 18:00`, `2026-05-01 18:00` "
    "or a Discord timestamp such as `<t:1767225600:F>`."
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


def _relative(spec: str) -> timedelta:
    seconds = 0
    for amount, unit in _PART.findall(spec):
        if unit not in _UNITS:
            raise InvalidInput(_HELP)
        seconds += int(amount) * _UNITS[unit]
    return timedelta(seconds=seconds)


_OFFSET = re.compile(r"^(?:\d+\s*[a-z]+\s*)+$|^0$")
_OFFSET_HELP = "Write reminders as times before the start, separated by commas: `24h, 15m, 0` (0 = at the start)."


def parse_offsets(text: str) -> tuple[int, ...]:
    """`24h, 15m, 0` → seconds before the start, largest first, without repeats. Limits are checked elsewhere."""
    parts = [" ".join(part.split()) for part in text.strip().lower().split(",")]
    if len(text) > 200 or not all(_OFFSET.match(part) for part in parts):
        raise InvalidInput(_OFFSET_HELP)
    try:
        seconds = {int(_relative(part).total_seconds()) if part != "0" else 0 for part in parts}
    except InvalidInput as exc:
        raise InvalidInput(_OFFSET_HELP) from exc
    return tuple(sorted(seconds, reverse=True))


def _clock(hour: str | None, minute: str | None, meridiem: str | None) -> time:
    h, m = int(hour or 0), int(minute or 0)
    if meridiem:
        if not 1 <= h <= 12:
            raise InvalidInput(_HELP)
        h = h % 12 + (12 if meridiem == "pm" else 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise InvalidInput(_HELP)
    return time(h, m)


def _local(day: date, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def parse_when(text: str, *, now: datetime, zone: tzinfo) -> datetime:
    """An aware UTC datetime, or InvalidInput with examples. Rules (past, horizon) are checked elsewhere."""
    spec = " ".join(text.strip().lower().split())
    if not spec or len(spec) > 60:
        raise InvalidInput(_HELP)
    if match := _DISCORD.match(spec):
        try:
            return datetime.fromtimestamp(int(match.group(1)), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidInput(_HELP) from exc
    if match := _RELATIVE.match(spec):
        return now + _relative(match.group(1))
    if match := _DAY_AND_TIME.match(spec):
        today = now.astimezone(zone).date()
        day = today + timedelta(days=1 if match.group(1) == "tomorrow" else 0)
        if match.group(2) is None:
            raise InvalidInput("Say at what time too, for example `tomorrow 18:00`.")
        return _local(day, _clock(match.group(2), match.group(3), match.group(4)), zone)
    try:
        parsed = datetime.fromisoformat(spec.upper().replace(" ", "T", 1))
    except ValueError as exc:
        raise InvalidInput(_HELP) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)
