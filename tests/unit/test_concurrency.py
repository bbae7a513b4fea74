"""`retrying`, the one retry helper of the aggregate concurrency scheme (docs/CONCURRENCY.md)."""

from __future__ import annotations

import pytest

from spaces_core.domain.errors import ConcurrentUpdate, Conflict
from spaces_core.services.concurrency import ATTEMPTS, retrying


async def test_a_lost_race_runs_the_use_case_again_until_it_lands():
    runs: list[int] = []

    async def attempt() -> str:
        runs.append(len(runs) + 1)
        if len(runs) < 3:
            raise ConcurrentUpdate("Someone else changed this Space at the same moment; try again.")
        return "saved"

    assert await retrying(attempt) == "saved"
    assert runs == [1, 2, 3]


async def test_a_refused_rule_is_not_retried():
    runs: list[int] = []

    async def attempt() -> None:
        runs.append(1)
        raise Conflict("You already asked to speak.")

    with pytest.raises(Conflict, match="already asked"):
        await retrying(attempt)
    assert runs == [1]


async def test_a_race_lost_every_time_reaches_the_member_after_the_last_attempt():
    runs: list[int] = []

    async def attempt() -> None:
        runs.append(1)
        raise ConcurrentUpdate("Someone else changed this Space at the same moment; try again.")

    with pytest.raises(ConcurrentUpdate, match="try again"):
        await retrying(attempt)
    assert len(runs) == ATTEMPTS
