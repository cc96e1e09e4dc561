"""Who runs the jobs of the `job` table: procrastinate on PostGIS, a thread on SpatiaLite.

Both take a job id, claim the row (`JobStore.claim`), run the process with a progress
callback that writes to the row, and keep the outcome. A server stopped mid-job leaves the
row `running`; the next worker finds it and runs it again from its stored input (an
attempt more). The processes are safe to run again: geocoding and placing write nothing,
and batch coding finds the codes an earlier attempt issued by their natural keys, so no
code is issued twice. After MAX_ATTEMPTS cut-offs a job ends `failed`, progress kept. A
store that stops answering mid-job (PostgreSQL restarting) cuts the job off the same way
on PostGIS; on SpatiaLite (a lock timeout, say) the job ends `failed`.

- `ProcrastinateWorker` (PostgreSQL): procrastinate's worker runs in the server's event
  loop; its heartbeats tell a stopped worker's jobs, which are retried. Jobs any number of
  servers share.
- `ThreadWorker` (SQLite): one thread in the server process takes `accepted` jobs from the
  table in order; at start it takes back the jobs of worker processes that are gone.

Both prune at start and every PRUNE_EVERY seconds: finished jobs older than the retention
are removed with their results (`JobStore.prune`; on PostGIS procrastinate's own finished
rows of the queue too).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, select

from twin.errors import TwinError
from twin.jobs.store import (
    FINAL,
    Execute,
    JobDismissed,
    JobStatus,
    JobStore,
    job_table,
)
from twin.store import Store, unanswered

log = logging.getLogger(__name__)
QUEUE = "twin_jobs"
TASK = "twin.run_job"
PRUNE_EVERY = 3600.0
DEFAULT_RETENTION = timedelta(days=30)


class Stopping(Exception):  # noqa: N818 (a signal, not an error)
    """Raised inside a job when its server shuts down: the job stays to be resumed."""


def run_job(jobs: JobStore, execute: Execute, job_id: str, *, step_delay: float = 0.0,
            stop: threading.Event | None = None, raise_errors: bool = False,
            resumes: bool = False) -> None:
    """Claim, run and record one job (nothing happens if another worker holds it).

    A failure is kept on the job; with `raise_errors` (a synchronous execution, whose
    caller waits for the answer) it is raised to the caller as well. `resumes`: the worker
    runs again a job left `running` when the store stops answering (procrastinate's does),
    so such a job is left as it is, not failed.
    """
    job = jobs.claim(job_id)
    if job is None:
        return
    last = [0.0, -1]

    def progress(percent: int, message: str) -> None:
        if stop is not None and stop.is_set():
            raise Stopping
        now = time.monotonic()
        if percent != last[1] or now - last[0] >= 0.5 or step_delay:
            jobs.report_progress(job_id, percent, message)
            last[:] = [now, percent]
        if step_delay:  # tests and demos: a job slow enough to watch and to cut off
            time.sleep(step_delay)

    try:
        outcome = execute(job, jobs.job_input(job_id), progress)
    except (JobDismissed, Stopping):
        return
    except TwinError as exc:
        jobs.fail(job_id, str(exc), getattr(exc, "report", None))
        if raise_errors:
            raise
        return
    except Exception as exc:
        if resumes and not raise_errors and unanswered(exc) is not None:
            # The store went away (a restart): nothing can be written now, the job stays
            # `running`, and the worker runs it again from its input once the store is back.
            log.warning("job %s (%s) cut off: %s", job_id, job.process, unanswered(exc))
            return
        log.exception("job %s (%s) failed", job_id, job.process)
        jobs.fail(job_id, f"internal error: {type(exc).__name__}: {exc}")
        if raise_errors:
            raise
        return
    jobs.succeed(job_id, outcome)


class JobWorker(Protocol):
    """What the server needs of a worker: start it, hand it new jobs, stop it."""

    async def start(self) -> None:
        """Begin taking jobs (and take back those a stopped server left)."""

    def submit(self, job_id: str) -> None:
        """Run this accepted job soon (thread-safe)."""

    async def close(self) -> None:
        """Stop taking jobs; a job running now stays to be resumed."""


class ThreadWorker:
    """One thread in this process over the `job` table (the embedded store's engine)."""

    def __init__(self, engine: Engine, execute: Execute, *, poll: float = 1.0,
                 step_delay: float = 0.0, retention: timedelta = DEFAULT_RETENTION):
        self.jobs, self.execute = JobStore(engine), execute
        self.poll, self.step_delay, self.retention = poll, step_delay, retention
        self._pruned = 0.0
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        """Start the thread; it first takes back jobs whose worker process is gone."""
        self._thread = threading.Thread(target=self._loop, name="twin-jobs", daemon=True)
        self._thread.start()

    def submit(self, job_id: str) -> None:
        """Wake the thread: a job is waiting."""
        self._wake.set()

    async def close(self) -> None:
        """Stop the thread at the running job's next progress report."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)

    def _loop(self) -> None:
        orphans_checked = False
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._pruned >= PRUNE_EVERY or not self._pruned:
                    self.jobs.prune(self.retention)
                    self._pruned = time.monotonic()
                if not orphans_checked:
                    for orphan in self.jobs.orphans():
                        log.info("resuming job %s left running by a stopped server", orphan)
                        self._run(orphan)
                    orphans_checked = True
                waiting = self.jobs.next_accepted()
                if waiting is None:
                    self._wake.wait(self.poll)
                    self._wake.clear()
                    continue
                self._run(waiting)
            except Exception:  # the store is away: say so, and try again in a while
                log.exception("the job worker could not read the job table")
                self._stop.wait(5 * self.poll)

    def _run(self, job_id: str) -> None:
        if not self._stop.is_set():
            run_job(self.jobs, self.execute, job_id, step_delay=self.step_delay,
                    stop=self._stop)


def conninfo(engine: Engine) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL engine."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class ProcrastinateWorker:
    """procrastinate's worker in this server's event loop, over the store's PostgreSQL.

    Every job is one procrastinate task `twin.run_job(job_id)` locked by the job id, so two
    servers never run one job at once. Each `check_every` seconds the worker retries the
    jobs of workers whose heartbeat stopped (`stalled_after` seconds) and defers again the
    jobs of our table that no procrastinate job carries any more.
    """

    def __init__(self, engine: Engine, execute: Execute, *, step_delay: float = 0.0,
                 heartbeat: float = 2.0, stalled_after: float = 6.0, check_every: float = 3.0,
                 retention: timedelta = DEFAULT_RETENTION):
        import procrastinate

        self.jobs, self.execute, self.step_delay = JobStore(engine), execute, step_delay
        self.retention, self._pruned = retention, 0.0
        self.heartbeat, self.stalled_after, self.check_every = (heartbeat, stalled_after,
                                                                check_every)
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(
            conninfo=conninfo(engine), min_size=1, max_size=3))
        self.task = self.app.task(name=TASK, queue=QUEUE, pass_context=False)(self._run)
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._launching = asyncio.Lock()

    def _run(self, job_id: str) -> None:
        run_job(self.jobs, self.execute, job_id, step_delay=self.step_delay, stop=self._stop,
                resumes=True)

    async def start(self) -> None:
        """Start the worker now if the table holds unfinished jobs, else on the first submit.

        A server that never runs a job holds no connections for the job engine.
        """
        self._loop = asyncio.get_running_loop()
        self._launching = asyncio.Lock()
        await asyncio.to_thread(self.jobs.prune, self.retention)
        if await asyncio.to_thread(self._unfinished, datetime.now(UTC)):
            await self._launch()

    async def _launch(self) -> None:
        """Open the connection pool, start the worker and the stalled-job check (once)."""
        async with self._launching:
            if self._tasks:
                return
            await self.app.open_async()
            worker = self.app.run_worker_async(
                queues=[QUEUE], concurrency=1, install_signal_handlers=False,
                update_heartbeat_interval=self.heartbeat,
                stalled_worker_timeout=self.stalled_after, shutdown_graceful_timeout=3.0)
            self._tasks = [asyncio.create_task(worker, name="procrastinate-worker"),
                           asyncio.create_task(self._watch(), name="twin-jobs-watch")]

    def submit(self, job_id: str) -> None:
        """Defer the job's task (from any thread), starting the worker if it is not yet."""
        if self._loop is None:
            raise RuntimeError("the job worker is not started")
        future = asyncio.run_coroutine_threadsafe(self._launch_and_defer(job_id), self._loop)
        future.result(timeout=30)

    async def _launch_and_defer(self, job_id: str) -> None:
        await self._launch()
        await self._defer(job_id)

    async def _defer(self, job_id: str) -> None:
        await self.task.configure(lock=job_id).defer_async(job_id=job_id)

    async def close(self) -> None:
        """Stop the worker: the running job stops at its next progress report."""
        self._stop.set()
        if not self._tasks:
            return
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # stopping: nothing more to do
                pass
        await self.app.close_async()

    async def _watch(self) -> None:
        while True:
            try:
                await self.recover()
                if time.monotonic() - self._pruned >= PRUNE_EVERY:
                    await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking for stalled jobs failed")
            await asyncio.sleep(self.check_every)

    async def prune(self) -> None:
        """Remove finished jobs older than the retention, ours and procrastinate's rows."""
        self._pruned = time.monotonic()
        await asyncio.to_thread(self.jobs.prune, self.retention)
        await self.app.job_manager.delete_old_jobs(
            max(1, int(self.retention.total_seconds() // 3600)), queue=QUEUE,
            include_failed=True, include_cancelled=True, include_aborted=True)

    async def recover(self) -> None:
        """Retry the jobs of stopped workers; defer again the jobs nothing carries."""
        manager = self.app.job_manager
        for stalled in await manager.get_stalled_jobs(
                queue=QUEUE, task_name=TASK, seconds_since_heartbeat=self.stalled_after):
            log.info("retrying job %s of a stopped worker", stalled.task_kwargs)
            await manager.retry_job(stalled)
        carried = set()
        for status in ("todo", "doing"):
            for queued in await manager.list_jobs_async(queue=QUEUE, task=TASK, status=status):
                carried.add(queued.task_kwargs.get("job_id"))
        quiet = datetime.now(UTC) - timedelta(seconds=self.stalled_after)
        for job_id in await asyncio.to_thread(self._unfinished, quiet):
            if job_id not in carried:
                log.info("deferring job %s again: no worker holds it", job_id)
                await self._defer(job_id)

    def _unfinished(self, before: datetime) -> list[str]:
        with self.jobs.engine.connect() as conn:
            return list(conn.execute(select(job_table.c.id).where(
                job_table.c.status.not_in([s.value for s in FINAL]),
                job_table.c.updated < before)).scalars())


def worker_for(engine: Engine, execute: Execute, *, step_delay: float = 0.0,
               retention: timedelta = DEFAULT_RETENTION) -> JobWorker:
    """The job worker that suits the store."""
    # A store that carries a job queue runs procrastinate on it; otherwise a thread in-process.
    worker: Callable[..., JobWorker] = (ProcrastinateWorker
                                        if Store.of(engine).dialect.carries_job_queue
                                        else ThreadWorker)
    return worker(engine, execute, step_delay=step_delay, retention=retention)


__all__ = ["JobStatus", "JobWorker", "ProcrastinateWorker", "ThreadWorker", "run_job",
           "worker_for"]
