"""The bounded series of host analytics: never more than its bound, the whole Space still covered, evenly; and
the chart's figures (stacked listeners, talk time, the hands' median and longest wait) from the samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from spaces_core.domain.stats import HandWait, SeriesBound, StatsSample, chart_of, to_thin

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def run(bound: SeriesBound, ticks: int) -> list[int]:
    """Drive the bound as the sampler does; the stored tick numbers, thinned as the store would be."""
    stored: list[int] = []
    for tick in range(ticks):
        if bound.tick():
            stored.append(tick)
            if bound.stored_one():
                dropped = set(to_thin(stored))
                stored = [t for t in stored if t not in dropped]
        assert len(stored) < bound.max_samples
        assert len(stored) == bound.stored
    return stored


def test_a_short_space_keeps_every_sample() -> None:
    assert run(SeriesBound(100), 50) == list(range(50))


@pytest.mark.parametrize("ticks", [200, 1000, 4321])
def test_a_long_space_stays_bounded_and_evenly_spaced_from_its_start(ticks: int) -> None:
    bound = SeriesBound(64)
    stored = run(bound, ticks)
    assert stored[0] == 0, "the start is never forgotten"
    gaps = {b - a for a, b in pairwise(stored)}
    assert gaps == {bound.stride}, gaps
    assert ticks - stored[-1] <= bound.stride, "and the latest stretch is covered"
    assert len(stored) >= 64 // 2 - 1


def test_resuming_over_a_full_store_thins_before_storing() -> None:
    bound = SeriesBound(10, stored=12)
    assert bound.stored < 10 and bound.stride == 2


def test_to_thin_drops_every_other_from_the_second() -> None:
    assert to_thin([5, 6, 7, 8, 9]) == [6, 8]
    assert to_thin([1]) == []


def test_the_chart_data_stacks_listeners_and_sums_talk_and_waits() -> None:
    samples = [
        StatsSample(T0 + timedelta(seconds=30 * i), d, w, 2, h, {"👏": i, "🔥": 2 * i} if i else {})
        for i, (d, w, h) in enumerate([(1, 0, 0), (3, 2, 1), (4, 5, 2)])
    ]
    waits = [
        HandWait(1, T0, T0 + timedelta(seconds=10), "approved"),
        HandWait(2, T0, T0 + timedelta(seconds=40), "denied"),
        HandWait(3, T0, T0 + timedelta(seconds=25), "cancelled"),
        HandWait(4, T0, None, None),
    ]
    chart = chart_of("AMA", T0, samples, {7: 61_000, 8: 4_000, 9: 0}, waits)
    assert chart.minutes == [0.0, 0.5, 1.0]
    assert chart.listeners == [1, 5, 9]
    assert chart.reactions == {"👏": [0, 1, 2], "🔥": [0, 2, 4]}
    assert chart.talk_seconds == {7: 61.0, 8: 4.0}
    assert list(chart.talk_seconds) == [7, 8], "most first; silent speakers left out"
    assert (chart.wait_median, chart.wait_longest, chart.waits, chart.unanswered) == (25.0, 40.0, 3, 1)
    assert chart.tickets is None
