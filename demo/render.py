"""What the bot sent, as a member's Discord client would show it, for the demo's terminal.

The bot writes Discord markup: `**bold**`, `<t:…:F>` timestamps that every client shows in its reader's time zone,
`<@id>` mentions and `<#id>` channel links. Printed raw, a host reading the demo sees numbers and asterisks; here
timestamps become this machine's local time, ids become @names and #channels, and bold becomes terminal bold (or
plain text when the output is not a terminal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["Names", "local_time", "readable", "relative_time"]

BOLD, PLAIN = "\033[1m", "\033[0m"
_MENTION = re.compile(r"<(@!?|@&|#)(\d+)>")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_STRONG = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_SUBTEXT = re.compile(r"^-# ", re.MULTILINE)


@dataclass(frozen=True)
class Names:
    """What a member's client shows for an id: users, channels and roles by their names."""

    users: Mapping[int, str] = field(default_factory=dict)
    channels: Mapping[int, str] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)

    def mention(self, kind: str, ident: int) -> str:
        if kind == "#":
            return f"#{self.channels.get(ident, 'unknown-channel')}"
        if kind == "@&":
            return f"@{self.roles.get(ident, 'unknown-role')}"
        return f"@{self.users.get(ident, 'unknown-user')}"


def readable(text: str, names: Names, *, now: datetime, bold: bool = False) -> str:
    """`text` with its Discord markup rendered; `now` (aware) is what relative timestamps count from."""
    text = _MENTION.sub(lambda m: names.mention(m.group(1).rstrip("!"), int(m.group(2))), text)
    text = _TIMESTAMP.sub(lambda m: _timestamp(int(m.group(1)), m.group(2) or "f", now), text)
    text = _STRONG.sub(lambda m: f"{BOLD}{m.group(1)}{PLAIN}" if bold else m.group(1), text)
    text = _CODE.sub(lambda m: m.group(1), text)
    return _SUBTEXT.sub("", text)


def _timestamp(stamp: int, style: str, now: datetime) -> str:
    if style == "R":
        return relative_time(stamp - now.timestamp())
    return local_time(datetime.fromtimestamp(stamp, UTC).astimezone(), style)


def local_time(moment: datetime, style: str = "f") -> str:
    """Discord's timestamp styles (t, T, d, D, f, F), in English, with the time zone named: the terminal has no
    hover card to say which zone a bare time is in."""
    day = f"{moment.day} {moment:%B %Y}"
    clock = f"{moment:%H:%M}"
    zone = moment.tzname() or ""
    shown = {
        "t": clock,
        "T": f"{moment:%H:%M:%S}",
        "d": f"{moment:%Y-%m-%d}",
        "D": day,
        "f": f"{day}, {clock}",
        "F": f"{moment:%A} {day}, {clock}",
    }[style]
    return f"{shown} {zone}".rstrip() if style in "tTfF" else shown


def relative_time(seconds: float) -> str:
    """'in 4 seconds', '3 minutes ago': Discord's relative style, rounded to the largest whole unit."""
    amount = abs(round(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if amount >= size or unit == "second":
            count = amount // size
            phrase = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {phrase}" if seconds >= 0 else f"{phrase} ago"
    raise AssertionError("unreachable: the loop ends on seconds")
