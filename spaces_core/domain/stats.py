"""Host analytics as data: the samples a live Space leaves, the bound on how many it keeps, and the chart's
figures computed from them (what the renderer draws and the tests check, never the pixels).

The series is bounded by thinning, not by a ring buffer: once `max_samples` are stored, every other one is dropped
and the sampling stride doubles. A 10-minute Space keeps a point every 5 s; a 6-hour one about every 40 s, and
both still cover the whole Space from its first minute (a ring buffer would forget the start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

__all__ = [
    "HandWait",
    "HostedSpace",
    "SeriesBound",
    "StatsChart",
    "StatsSample",
    "TicketFigures",
    "chart_of",
    "to_thin",
]


@dataclass(frozen=True, slots=True)
class StatsSample:
    taken_at: datetime
    discord_listeners: int
    web_listeners: int
    speakers: int
    hands: int  # raised hands waiting (the queue's length)
    reactions: dict[str, int] = field(default_factory=dict)  # cumulative count per emoji since the start


@dataclass(frozen=True, slots=True)
class HandWait:
    user_id: int
    raised_at: datetime
    lowered_at: datetime | None  # None: still raised (or the Space ended with the hand up)
    outcome: str | None  # approved, denied, cancelled, left

    @property
    def seconds(self) -> float | None:
        return None if self.lowered_at is None else (self.lowered_at - self.raised_at).total_seconds()


def to_thin(ordered: Sequence[int]) -> list[int]:
    """Which of the stored samples (ids, oldest first) to drop when the series is full: every other one from the
    second, so the first stays and the spacing stays even."""
    return list(ordered[1::2])


class SeriesBound:
    """Decides, tick by tick, which samples of one Space are stored, so no Space stores more than `max_samples`.

    `tick()` says whether this tick's sample is stored; `stored_one()` whether the store is now full and must be
    thinned (`to_thin`), after which one tick in twice as many is stored."""

    def __init__(self, max_samples: int, *, stored: int = 0) -> None:
        if max_samples < 4:
            raise ValueError("a series needs room for at least 4 samples")
        self.max_samples = max_samples
        self.stored = stored
        self.stride = 1
        self._ticks = 0
        while self.stored >= max_samples:  # resumed over a full store (a restart): thin before the next one
            self.stored -= self.stored // 2
            self.stride *= 2

    def tick(self) -> bool:
        take = self._ticks % self.stride == 0
        self._ticks += 1
        return take

    def stored_one(self) -> bool:
        self.stored += 1
        if self.stored < self.max_samples:
            return False
        self.stored -= self.stored // 2
        self.stride *= 2  # the ticks kept are the multiples of the new stride: the next one keeps the spacing
        return True


@dataclass(frozen=True, slots=True)
class TicketFigures:
    sold: int
    revenue: str  # net, formatted in the Space's currency ("€12.00")


@dataclass(frozen=True, slots=True)
class HostedSpace:
    """A line of the host's history."""

    space_id: str
    title: str
    started_at: datetime
    ended_at: datetime | None
    peak_listeners: int

    @property
    def minutes(self) -> int | None:
        return None if self.ended_at is None else round((self.ended_at - self.started_at).total_seconds() / 60)


@dataclass(frozen=True, slots=True)
class StatsChart:
    """Everything the chart shows, in the units it shows them."""

    title: str
    started_at: datetime
    minutes: list[float]  # each sample's time since the start
    discord: list[int]
    web: list[int]
    speakers: list[int]
    hands: list[int]
    reactions: dict[str, list[int]]  # per emoji, cumulative, one value per sample
    talk_seconds: dict[int, float]  # per speaker, most first
    wait_median: float | None  # seconds, over the hands that were lowered
    wait_longest: float | None
    waits: int
    tickets: TicketFigures | None
    unanswered: int = 0  # hands still up (now, or when the Space ended): not in the waits above

    @property
    def listeners(self) -> list[int]:
        """The stacked total: Discord plus web at each sample."""
        return [d + w for d, w in zip(self.discord, self.web, strict=True)]


def chart_of(
    title: str,
    started_at: datetime,
    samples: Sequence[StatsSample],
    talk_ms: dict[int, int],
    waits: Sequence[HandWait],
    tickets: TicketFigures | None = None,
) -> StatsChart:
    emojis = sorted({emoji for sample in samples for emoji in sample.reactions})
    lowered = [s for s in (wait.seconds for wait in waits) if s is not None]
    talk = sorted(((user, ms / 1000) for user, ms in talk_ms.items() if ms > 0), key=lambda pair: -pair[1])
    return StatsChart(
        title=title,
        started_at=started_at,
        minutes=[(s.taken_at - started_at).total_seconds() / 60 for s in samples],
        discord=[s.discord_listeners for s in samples],
        web=[s.web_listeners for s in samples],
        speakers=[s.speakers for s in samples],
        hands=[s.hands for s in samples],
        reactions={emoji: [s.reactions.get(emoji, 0) for s in samples] for emoji in emojis},
        talk_seconds=dict(talk),
        wait_median=median(lowered) if lowered else None,
        wait_longest=max(lowered) if lowered else None,
        waits=len(lowered),
        tickets=tickets,
        unanswered=sum(wait.lowered_at is None for wait in waits),
    )
