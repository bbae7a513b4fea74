"""The persistent scheduler: apscheduler 3.x with its jobs in the product's own database.

Why a background thread: apscheduler 3's SQLAlchemy job store is synchronous, and synchronous database calls
must stay off the bot's event loop. So the scheduler runs as a `BackgroundScheduler` (its own thread, a sync
engine: sqlite3 or psycopg) and each job hands its coroutine back to the bot's loop and waits for it.

Why a registry: apscheduler stores a job as a text reference to a module-level function plus arguments, so the
function must find the live runner by name. `ApsJobPlanner.start` registers it and `stop` removes it.

Exactly one process runs jobs. On PostgreSQL the planner takes a session advisory lock; a process that can't
get it keeps its scheduler paused (it still *stores* new jobs) and retries, so it takes over within a few
seconds of the holder dying (its connection closes, PostgreSQL frees the lock). SQLite is single-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from spaces_core.domain.schedule import Job
from spaces_core.store.database import async_url

__all__ = ["LOCK_KEY", "ApsJobPlanner", "Runner", "sync_url"]

log = logging.getLogger(__name__)
Runner = Callable[[str, int, str], Coroutine[Any, Any, bool]]
LOCK_KEY = 0x5350_4143_4553  # "SPACES": one scheduler per database
_TABLE_LOCK_KEY = LOCK_KEY + 1  # held only while creating the job table
_RUNNERS: dict[str, tuple[Runner, asyncio.AbstractEventLoop]] = {}
_RUNNERS_LOCK = threading.Lock()
# A job waits for its coroutine at most this long; past it the job is logged as failed (the loop is stuck).
_JOB_TIMEOUT = 120.0


def sync_url(url: str) -> str:
    """The synchronous twin of the store's URL, for apscheduler's job store."""
    parsed = make_url(async_url(url))
    driver = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg"}
    return parsed.set(drivername=driver.get(parsed.drivername, parsed.drivername)).render_as_string(hide_password=False)


def run_job(planner: str, schedule_id: str, revision: int, key: str) -> None:
    """The function every stored job names. Runs in apscheduler's worker thread."""
    with _RUNNERS_LOCK:
        entry = _RUNNERS.get(planner)
    if entry is None:
        raise RuntimeError(f"no scheduler runner named {planner!r} is running")
    runner, loop = entry
    asyncio.run_coroutine_threadsafe(runner(schedule_id, revision, key), loop).result(_JOB_TIMEOUT)


def _job_id(schedule_id: str, revision: int, key: str) -> str:
    return f"{schedule_id}:{revision}:{key}"


class SharedJobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # apscheduler ships no type hints
    """apscheduler's SQLAlchemy job store, where removing a job that is already gone is not an error.

    Why: the job table is shared by every process of the bot (the standby stores jobs too). After a one-off job
    runs, the scheduler thread deletes its row, and another process may have deleted it a moment before (its
    unplan, or the process that ran it just before a takeover). apscheduler does not catch the resulting
    ``JobLookupError`` there, and it ended the scheduler's thread: that process would never run a job again.
    """

    def remove_job(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            super().remove_job(job_id)


class ApsJobPlanner:
    """Implements the JobPlanner port. `name` tells several planners apart in one process (tests, benchmarks).

    The runner may be given later with `bind`: the schedule service that runs the jobs needs the planner to plan
    them, so the composition root builds the planner first and binds it to the service once both exist."""

    def __init__(
        self,
        url: str,
        runner: Runner | None = None,
        *,
        name: str = "spaces",
        connect_args: Mapping[str, Any] | None = None,
        poll: float = 1.0,
        workers: int = 20,
        lock_key: int = LOCK_KEY,
    ) -> None:
        self.name = name
        self._runner = runner
        self._url = sync_url(url)
        self._async_url = async_url(url)
        self._connect_args = dict(connect_args or {})
        self._poll = poll
        self._workers = workers
        self._lock_key = lock_key
        self._scheduler: BackgroundScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock_conn: AsyncConnection | None = None
        self.active = asyncio.Event()  # set while this process runs the jobs

    def bind(self, runner: Runner) -> None:
        """Give the job runner, before `start` (the second phase of a two-phase build)."""
        if self._task is not None:
            raise RuntimeError("the planner is running: bind its runner before start")
        self._runner = runner

    @property
    def _is_postgres(self) -> bool:
        return make_url(self._url).get_backend_name() == "postgresql"

    async def start(self) -> None:
        if self._runner is None:
            raise RuntimeError("the planner has no runner: bind one before start")
        with _RUNNERS_LOCK:
            _RUNNERS[self.name] = (self._runner, asyncio.get_running_loop())
        connect_args = dict(self._connect_args)
        if self._is_postgres and "server_settings" in connect_args:  # asyncpg's form, as the tests pass it
            settings = connect_args.pop("server_settings")
            connect_args["options"] = " ".join(f"-c {k}={v}" for k, v in settings.items())
        engine = create_engine(self._url, connect_args=connect_args, pool_pre_ping=True)
        store = SharedJobStore(engine=engine, tablename="spaces_scheduler_jobs")
        await asyncio.to_thread(self._create_job_table, engine, store.jobs_t)
        scheduler = BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(self._workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        scheduler.add_listener(self._missed, EVENT_JOB_MISSED)
        await asyncio.to_thread(scheduler.start, paused=True)
        self._scheduler = scheduler
        self._task = asyncio.create_task(self._hold(), name=f"scheduler-{self.name}")

    def _create_job_table(self, engine: Engine, table: Table) -> None:
        """apscheduler creates its table on start with check-then-create; two processes starting together on a
        fresh PostgreSQL database race on that CREATE and one dies. Create it here, one process at a time."""
        with engine.begin() as conn:
            if self._is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _TABLE_LOCK_KEY})
            table.create(conn, checkfirst=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            await asyncio.to_thread(scheduler.shutdown, wait=True)
            scheduler._lookup_jobstore("default").engine.dispose()
        await self._release()
        with _RUNNERS_LOCK:
            _RUNNERS.pop(self.name, None)

    async def plan(self, schedule_id: str, revision: int, jobs: Sequence[Job]) -> None:
        await asyncio.to_thread(self._add_all, schedule_id, revision, list(jobs))

    async def unplan(self, schedule_id: str, revision: int, keys: Sequence[str]) -> None:
        await asyncio.to_thread(self._remove_all, [_job_id(schedule_id, revision, k) for k in keys])

    def count(self) -> int:
        return len(self._require().get_jobs())

    def _add_all(self, schedule_id: str, revision: int, jobs: list[Job]) -> None:
        scheduler = self._require()
        for job in jobs:
            grace = None if job.late_limit is None else max(1, int(job.late_limit.total_seconds()))
            scheduler.add_job(
                run_job,
                "date",
                run_date=job.due,
                args=(self.name, schedule_id, revision, job.key),
                id=_job_id(schedule_id, revision, job.key),
                misfire_grace_time=grace,
                replace_existing=True,
            )

    def _remove_all(self, job_ids: list[str]) -> None:
        scheduler = self._require()
        for job_id in job_ids:
            scheduler.remove_job(job_id)  # one already gone is fine: SharedJobStore

    def _require(self) -> BackgroundScheduler:
        if self._scheduler is None:
            raise RuntimeError("the scheduler is not started")
        return self._scheduler

    @staticmethod
    def _missed(event: JobExecutionEvent) -> None:
        log.warning("reminder job %s dropped: due %s, too late to be useful", event.job_id, event.scheduled_run_time)

    async def _hold(self) -> None:
        """Become (and stay) the one active scheduler; poke it each `poll` so jobs other processes stored are
        seen (apscheduler only wakes by itself for jobs added through its own instance)."""
        scheduler = self._require()
        while True:
            holding = await self._ensure_lock()
            if holding and not self.active.is_set():
                log.info("scheduler %s is active", self.name)
                scheduler.resume()
                self.active.set()
            elif not holding and self.active.is_set():
                log.warning("scheduler %s lost its lock; standing by", self.name)
                scheduler.pause()
                self.active.clear()
            elif holding:
                scheduler.wakeup()
            await asyncio.sleep(self._poll)

    async def _ensure_lock(self) -> bool:
        if not self._is_postgres:
            return True
        try:
            if self._lock_conn is not None:
                await self._lock_conn.execute(text("SELECT 1"))
                return True
            engine = create_async_engine(self._async_url, poolclass=NullPool, connect_args=self._connect_args)
            conn = await engine.connect()
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._lock_key})).scalar_one()
            if got:
                self._lock_conn = conn
                return True
            await conn.close()
            await engine.dispose()
            return False
        except Exception:
            log.exception("scheduler lock check failed")
            await self._release()
            return False

    async def _release(self) -> None:
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
                await conn.engine.dispose()
