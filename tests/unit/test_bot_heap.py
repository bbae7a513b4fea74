"""The bot freezes its start-up heap: what exists then is left out of every later full collection."""

from __future__ import annotations

import gc

from bot.heap import freeze_startup_heap


class Kept:
    """Something start-up builds and keeps (a tracked object: the collector would walk it)."""


def test_what_exists_at_start_up_is_frozen_and_what_comes_later_is_still_collected() -> None:
    kept = Kept()
    try:
        frozen = freeze_startup_heap()
        assert frozen > 0 and gc.get_freeze_count() == frozen
        later = Kept()
        tracked = {id(item) for item in gc.get_objects()}  # the collector's generations, not the frozen ones
        assert id(kept) not in tracked
        assert id(later) in tracked
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
