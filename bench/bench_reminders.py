"""Benchmark: 10,000 reminders due within the same minute, and scheduler start-up with 10,000 stored jobs.

Run: `.venv/bin/python -m bench.bench_reminders [--count N] [--window S]` (prints its figures; see
docs/BENCHMARKS.md). The real path minus Discord: `ScheduleService.fire` (revision check, delivery claim,
audience query, commit) run by `ApsJobPlanner` (apscheduler 3, SQLAlchemy job store) on a SQLite file; a
reminder handler on the message bus records when each reminder reached it. Phase 1 stores the jobs with one
planner and stops it (the bot going down); phase 2 times a fresh planner's start with every job stored, then
waits for them all to fire.
Targets from issue 4: each fires once, p99 lateness ≤ 1 s; memory recorded. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spaces_core.bus import MessageBus
from spaces_core.clock import SystemClock
from spaces_core.domain.roles import Actor
from spaces_core.domain.schedule import Job, JobKind, ScheduledSpace, SchedulePolicy
from spaces_core.domain.schedule_events import ReminderDue
from spaces_core.domain.space import Space
from spaces_core.scheduling import ApsJobPlanner
from spaces_core.services.schedules import ScheduleService
from spaces_core.store.database import create_engine, make_uow_factory, migrate


class Timed:
    """The Discord side replaced by a stopwatch: when each reminder was handed over, per Space."""

    def __init__(self, expected: int) -> None:
        self.late: dict[str, float] = {}
        self.count: Counter[str] = Counter()
        self.expected = expected
        self.all_in = asyncio.Event()

    async def remind(self, schedule: ScheduledSpace, event: ReminderDue) -> None:
        due = schedule.starts_at - timedelta(seconds=event.offset)
        self.late[schedule.id] = (datetime.now(UTC) - due).total_seconds()
        self.count[schedule.id] += 1
        if len(self.late) >= self.expected:
            self.all_in.set()


async def _never(schedule: ScheduledSpace, actor: Actor) -> Space:
    raise AssertionError("no Space goes live in this benchmark")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(count: int, window: float, lead: float, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp)}/bench.db"
        await migrate(url)
        engine = create_engine(url)
        uows = make_uow_factory(engine)
        timed = Timed(count)
        bus = MessageBus()  # only reminders are timed; the other schedule events have no handler
        bus.subscribe(ReminderDue, timed.remind)
        holder: list[ScheduleService] = []

        async def runner(schedule_id: str, revision: int, key: str) -> bool:
            return await holder[0].fire(schedule_id, revision, key)

        def service(planner: ApsJobPlanner) -> ScheduleService:
            built = ScheduleService(uows, SystemClock(), planner, bus, _never, policy=SchedulePolicy())
            holder[:] = [built]
            return built

        now = datetime.now(UTC)
        first_due = now + timedelta(seconds=lead)
        spaces = []
        async with uows() as uow:  # 10,000 upcoming Spaces, 1,000 hosts with 10 each, straight into the store
            for n in range(count):
                due = first_due + timedelta(seconds=window * n / count)
                s = ScheduledSpace(
                    f"{n:032x}", 1, 2, 10_000 + n % 1000, f"Space {n}", (), due, now, reminder_offsets=(0,)
                )
                await uow.schedules.add(s)
                spaces.append(s)
            await uow.commit()

        planner = ApsJobPlanner(url, runner, name="bench-a", workers=workers)
        service(planner)
        await planner.start()  # the first bot process: stores the jobs, then goes down before any is due
        started = time.perf_counter()
        for s in spaces:
            await planner.plan(s.id, 0, [Job(JobKind.REMIND, s.starts_at, 0, timedelta(minutes=10))])
        planned_in = time.perf_counter() - started
        stored = planner.count()
        await planner.stop()

        second = ApsJobPlanner(url, runner, name="bench-a", workers=workers)
        service(second)
        started = time.perf_counter()
        await second.start()
        await second.active.wait()
        startup = time.perf_counter() - started
        if datetime.now(UTC) > first_due:
            print(f"WARNING: setup overran the lead by {(datetime.now(UTC) - first_due).total_seconds():.1f} s")
        deadline = (first_due - datetime.now(UTC)).total_seconds() + window + 120
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(timed.all_in.wait(), timeout=deadline)
        await asyncio.sleep(2)  # a double fire would show up here
        await second.stop()
        await engine.dispose()

    late = list(timed.late.values())
    doubled = sum(1 for c in timed.count.values() if c > 1)
    print(f"reminders: {count} due within {window:.0f} s, {workers} scheduler worker threads, SQLite file")
    print(f"stored {stored} jobs in {planned_in:.1f} s; scheduler start-up with them stored: {startup * 1000:.0f} ms")
    print(f"fired: {len(late)} of {count}, fired more than once: {doubled}")
    if late:
        print(
            f"lateness: p50 {percentile(late, 0.5) * 1000:.0f} ms, p99 {percentile(late, 0.99) * 1000:.0f} ms, "
            f"max {max(late) * 1000:.0f} ms, mean {statistics.fmean(late) * 1000:.0f} ms"
        )
    print(f"peak RSS of the process (scheduler + service + store): {rss_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the reminders are due")
    parser.add_argument("--lead", type=float, default=150.0, help="seconds from now to the first due reminder")
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.count, args.window, args.lead, args.workers))


if __name__ == "__main__":
    main()
