"""Two real bot processes on PostgreSQL (tests/integration/scheduler_process.py): one holds the scheduler
(advisory lock), the other stands by and stores jobs; each reminder is delivered once overall. The holder is then
killed with SIGKILL and the standby takes over and delivers the rest, once."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from pg_support import PG_URL, pg_schema
from schedule_support import until

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(30)]

ROOT = Path(__file__).resolve().parents[2]
HELPER = Path(__file__).with_name("scheduler_process.py")
# Every job of one FAST schedule, each to be delivered exactly once.
ALL_JOBS = Counter({"remind:2": 1, "host_alert": 1, "remind:0": 1, "start": 1, "missed": 1})


@dataclass
class BotProcess:
    role: str
    proc: asyncio.subprocess.Process
    log: Path
    lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            self.lines.append(raw.decode().strip())

    def said(self, word: str) -> bool:
        return f"{word} {self.role}" in self.lines

    async def schedule(self, title: str, ahead: float) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"schedule {title} {ahead}\n".encode())
        await self.proc.stdin.drain()
        prefix = f"scheduled {title} "
        await until(lambda: any(line.startswith(prefix) for line in self.lines), timeout=5)
        return next(line for line in self.lines if line.startswith(prefix)).removeprefix(prefix)

    async def end(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def spawn(role: str, schema: str, logs: Path) -> BotProcess:
    log = logs / f"{role}.log"
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HELPER),
            PG_URL,
            schema,
            role,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
        )
    bot = BotProcess(role, proc, log)
    bot.reader = asyncio.create_task(bot._read())
    return bot


@pytest.fixture
async def pg() -> AsyncIterator[tuple[str, asyncpg.Connection]]:
    async with pg_schema() as schema:
        columns = "role text NOT NULL, kind text NOT NULL, schedule_id text NOT NULL"
        await schema.admin.execute(f'CREATE TABLE "{schema.name}".deliveries ({columns})')
        yield schema.name, schema.admin


async def test_two_processes_deliver_each_reminder_once_and_the_standby_takes_over(pg, tmp_path):
    schema, admin = pg

    async def deliveries(schedule_id: str) -> list[tuple[str, str]]:
        rows = await admin.fetch(f'SELECT role, kind FROM "{schema}".deliveries WHERE schedule_id = $1', schedule_id)
        return [(row["role"], row["kind"]) for row in rows]

    bots: list[BotProcess] = []
    try:
        # One after the other: apscheduler creates its job table when it starts, and two first starts at the same
        # instant race on that CREATE TABLE (one process dies of a UniqueViolation), which is not what this tests.
        holder = await spawn("a", schema, tmp_path)
        bots.append(holder)
        await until(lambda: holder.said("active"), timeout=8)
        standby = await spawn("b", schema, tmp_path)
        bots.append(standby)
        await until(lambda: standby.said("ready"), timeout=8)
        await asyncio.sleep(0.5)
        assert not standby.said("active")  # both run a planner; only one holds the lock

        early = await holder.schedule("Early", 3)  # remind:2 at +1 s ... missed at +4 s, all while both live
        late = await standby.schedule("Late", 8)  # stored by the standby; remind:2 at +6 s, after the kill
        async with asyncio.timeout(8):
            while ("missed" not in {kind for _, kind in await deliveries(early)}) and holder.proc.returncode is None:
                await asyncio.sleep(0.1)
        assert await deliveries(late) == []  # nothing of the later Space has been due yet

        await holder.end()  # SIGKILL: PostgreSQL frees the lock when the dead process's connection drops
        await until(lambda: standby.said("active"), timeout=5)
        async with asyncio.timeout(10):
            while "missed" not in {kind for _, kind in await deliveries(late)}:
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # room for a second delivery, if anything were to send one

        early_rows, late_rows = await deliveries(early), await deliveries(late)
        assert Counter(kind for _, kind in early_rows) == ALL_JOBS, early_rows
        assert {role for role, _ in early_rows} == {holder.role}, early_rows
        assert Counter(kind for _, kind in late_rows) == ALL_JOBS, late_rows
        assert {role for role, _ in late_rows} == {standby.role}, late_rows
    finally:
        for bot in bots:
            await bot.end()
        for bot in bots:
            sys.stderr.write(f"--- {bot.role} ---\n{bot.log.read_text()}")
