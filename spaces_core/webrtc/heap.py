"""Web listeners' peers kept out of full garbage collections; what departed listeners leave, collected on churn.

Why it exists: a connected listener's peer (aiortc's transports, DTLS, ICE, RTCP state) is a few hundred objects
that live as long as the listener. CPython runs a full collection each time the objects that outlived the young
generations reach a quarter of those that survived the last full one, so while an audience grows, every quarter
more listeners costs a full collection of the whole heap with the event loop stopped, and every listener's audio
stalls, then bursts: measured in ``bench/bench_listeners.py`` while 1,000 listeners joined, pauses of 33, 59,
135 and 169 ms, growing with the audience (docs/BENCHMARKS.md).

What it does: shortly after listeners arrive or connect, ``gc.freeze()`` (a splice of the collector's lists, not
a walk) moves everything alive to the permanent generation, which later collections skip. What is garbage at
that moment is collected first (walking only what is not frozen yet), so it is not kept.

The price, and how it is paid: a reference cycle among frozen objects is not collected while frozen, and a
departed listener's peer is such a cycle (aiortc's objects refer to one another). So once as many listeners
have left since the last thaw as half of those still here (and at least ``thaw_after``), the permanent
generation is unfrozen, collected once and frozen again, a moment later (a peer's teardown may hold it a little
after its close returned). That one pause walks the whole heap, the bot's start-up included, so it is longer
than one of CPython's own, but it comes once per half of the audience turning over (and when a Space's audio
ends), and the memory held meanwhile is at most that half's peers.

One instance per process (the collector is process-wide): the bot's ``AudioRooms`` shares one between Spaces.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Final

__all__ = ["ListenerHeap"]

SETTLE_SECONDS: Final = 1.0  # a burst of arrivals is frozen once, a second after it starts
THAW_AFTER: Final = 64
THAW_FRACTION: Final = 0.5


class ListenerHeap:
    """Freezes the heap soon after listeners arrive or connect; thaws and collects once enough have left."""

    def __init__(
        self,
        *,
        settle_seconds: float = SETTLE_SECONDS,
        thaw_after: int = THAW_AFTER,
        thaw_fraction: float = THAW_FRACTION,
    ) -> None:
        self._settle_seconds = settle_seconds
        self._thaw_after = thaw_after
        self._thaw_fraction = thaw_fraction
        self._live = 0
        self._left = 0
        self._thaw_due = False
        self._pending: asyncio.TimerHandle | None = None
        self.freezes = 0
        self.thaws = 0

    @property
    def live(self) -> int:
        """Listeners that arrived and have not left, in every Space of the process."""
        return self._live

    @property
    def thaw_due(self) -> bool:
        """Enough listeners have left: the next settle thaws (and collects) instead of only freezing."""
        return self._thaw_due

    def arrived(self) -> None:
        """A listener's peer was made (its offer answered): freeze it with the next burst."""
        self._live += 1
        self.settled()

    def settled(self) -> None:
        """A listener's peer has built what it keeps (it connected): freeze soon, if not already due."""
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(self._settle_seconds, self._settle)

    def left(self, count: int = 1) -> None:
        """``count`` listeners that arrived are gone; their peers are garbage held by the freeze.

        The thaw waits to settle too: a peer's teardown may still hold it for a moment after its close returned.
        """
        self._live = max(0, self._live - count)
        self._left += count
        if self._left >= max(self._thaw_after, int(self._live * self._thaw_fraction)):
            self._thaw_due = True
            self.settled()

    def thaw(self) -> None:
        """Collect everything once, departed listeners' peers included, then freeze what is still alive."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._left = 0
        self._thaw_due = False
        self.thaws += 1

    def close(self) -> None:
        """Cancel what is due (the heap stays as it is)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _settle(self) -> None:
        self._pending = None
        if self._thaw_due:
            self.thaw()
            return
        gc.collect()  # walks only what is not frozen yet: what is garbage now is freed, not kept
        gc.freeze()
        self.freezes += 1
