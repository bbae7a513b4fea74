"""What a sentence from the core points at (a member, a channel, a role, a moment), as data rather than markup.

The core speaks in ids and times; how a reference is shown belongs to whoever shows it. The bot turns a `MemberRef`
into a mention and a `TimeRef` into a Discord timestamp that every client shows in the reader's own zone; a log line
or another adapter reads the neutral `str()` of each ref ("member 42", "2026-12-24 18:00 UTC").

A sentence is a template with `{name}` slots and the refs by name: `fill` replaces only the slots it has a ref for,
so a brace a member typed (a title such as "{beta}") passes through untouched instead of breaking the format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

__all__ = ["ChannelRef", "MemberRef", "Ref", "RoleRef", "TimeRef", "fill"]


@dataclass(frozen=True, slots=True)
class MemberRef:
    user_id: int

    def __str__(self) -> str:
        return f"member {self.user_id}"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    channel_id: int

    def __str__(self) -> str:
        return f"channel {self.channel_id}"


@dataclass(frozen=True, slots=True)
class RoleRef:
    role_id: int

    def __str__(self) -> str:
        return f"role {self.role_id}"


# How much of the moment a reader needs: the time of day alone (it is today or soon), the date and time, or the
# date with its weekday (a start far ahead, where the day matters as much as the hour).
TimeDetail = Literal["time", "date_time", "full"]


@dataclass(frozen=True, slots=True)
class TimeRef:
    at: datetime  # aware
    detail: TimeDetail = "date_time"

    def __str__(self) -> str:
        return f"{self.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


Ref = MemberRef | ChannelRef | RoleRef | TimeRef

_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, refs: Mapping[str, Ref], show: Callable[[Ref], str] = str) -> str:
    """The template with each `{name}` that has a ref replaced by `show(ref)`; any other brace is left as it is."""
    if not refs:
        return template
    return _SLOT.sub(lambda slot: show(refs[slot[1]]) if slot[1] in refs else slot[0], template)
