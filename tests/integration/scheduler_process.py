"""One bot process for the two-process scheduler test: the planner and the ScheduleService on PostgreSQL, in the
test's schema, with a Discord side that records every delivery as a row of that schema's `deliveries` table.

    python tests/integration/scheduler_process.py <db url> <schema> <role>

Tells the test on stdout: `ready <role>` once its planner runs (holder or standby), `active <role>` when it
holds the scheduler lock. Reads commands on stdin: `schedule <title> <seconds ahead>` answers
`scheduled <title> <schedule id>`. Ends when stdin closes (or when the test kills it).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration")]

import asyncpg  # noqa: E402
from schedule_support import Announced, in_seconds, wire  # noqa: E402

from spaces_core.domain.roles import Actor  # noqa: E402
from spaces_core.domain.schedule import ScheduledSpace  # noqa: E402
from spaces_core.domain.schedule_events import (  # noqa: E402
    HostAlertDue,
    ReminderDue,
    ScheduleCancelled,
    ScheduleEvent,
    StartPromptDue,
)
from spaces_core.store.database import create_engine, make_uow_factory  # noqa: E402
from tests.announcer_fake import kind_of  # noqa: E402

HOST = Actor(1)


def lock_key(schema: str) -> int:
    """The advisory lock key both processes of one test use: a key per schema, so parallel runs don't meet."""
    return int(hashlib.sha256(schema.encode()).hexdigest()[:15], 16)


class Recorded(Announced):
    """The recording fake, also writing each job's delivery to the shared table (who, what, for which Space)."""

    def __init__(self, pool: asyncpg.Pool, role: str) -> None:
        super().__init__()
        self._pool = pool
        self._role = role

    async def handle(self, schedule: ScheduledSpace, event: ScheduleEvent) -> None:
        await super().handle(schedule, event)
        if isinstance(event, ReminderDue | HostAlertDue | StartPromptDue | ScheduleCancelled):  # a job's delivery
            await self._pool.execute(
                "INSERT INTO deliveries (role, kind, schedule_id) VALUES ($1, $2, $3)",
                self._role,
                kind_of(event),
                schedule.id,
            )


def say(line: str) -> None:
    print(line, flush=True)


async def main(url: str, schema: str, role: str) -> None:
    connect_args = {"server_settings": {"search_path": schema}}
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4, server_settings={"search_path": schema})
    engine = create_engine(url, connect_args=connect_args)
    wired = wire(
        make_uow_factory(engine),
        url,
        name=f"proc-{role}",
        announced=Recorded(pool, role),
        connect_args=connect_args,
        lock_key=lock_key(schema),
    )
    loop = asyncio.get_running_loop()
    await wired.planner.start()
    say(f"ready {role}")
    watch = asyncio.create_task(wired.planner.active.wait())
    watch.add_done_callback(lambda t: t.cancelled() or say(f"active {role}"))
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, title, ahead = line.split()
            assert command == "schedule", line
            schedule = await wired.service.schedule(
                guild_id=9, channel_id=10, actor=HOST, title=title, topics="", when=in_seconds(float(ahead))
            )
            say(f"scheduled {title} {schedule.id}")
    finally:
        watch.cancel()
        await wired.planner.stop()
        await engine.dispose()
        await pool.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(main(*sys.argv[1:4]))
