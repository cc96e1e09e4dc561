"""The `job` table: what was asked, how far it is, and what came out, for every face.

A job is `accepted` when submitted, `running` while a worker holds it, and ends
`successful`, `failed` or `dismissed` (the status codes of OGC API - Processes). Its
input file and its result file are kept in the row, so a job outlives the server that
took it: a worker that restarts finds it again (`twin.jobs.workers`).

A job belongs to its `owner` (the actor of the key that submitted it): reading, listing
and dismissing take the caller's actor and see only its jobs, unless the caller may see
every job (an admin). Finished jobs older than the retention are pruned with their
results (`JobStore.prune`).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)

from twin.errors import Conflict, NotFound, TwinError

MAX_ATTEMPTS = 3  # a job cut off by a stopped server this often ends `failed`

metadata = MetaData()
job_table = Table(
    "job", metadata,
    Column("id", String(36), primary_key=True),
    Column("process", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False, default=0),
    Column("message", Text),
    Column("inputs", JSON, nullable=False),
    Column("input_data", LargeBinary),
    Column("input_name", String(200)),
    Column("result_data", LargeBinary),
    Column("result_type", String(100)),
    Column("result_name", String(200)),
    Column("report", JSON),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(100)),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("started", DateTime(timezone=True)),
    Column("finished", DateTime(timezone=True)),
    Column("updated", DateTime(timezone=True), nullable=False),
    Column("owner", String(100)),
)


class _EveryOwner:
    """The caller who may see every job (an admin, the workers)."""

    def __repr__(self) -> str:
        return "EVERY_OWNER"


EVERY_OWNER = _EveryOwner()
# Whose jobs a read sees: one owner's (an actor; None for jobs made before owners were
# kept) or EVERY_OWNER's.
Owner = str | None | _EveryOwner


class JobStatus(StrEnum):
    """OGC API - Processes status codes."""

    ACCEPTED = "accepted"
    RUNNING = "running"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    DISMISSED = "dismissed"


FINAL = (JobStatus.SUCCESSFUL, JobStatus.FAILED, JobStatus.DISMISSED)


class NoSuchJob(NotFound):
    """No job has this id (or it was dismissed and removed)."""

    title = "No such job"


class ResultNotReady(NotFound):
    """The job has no results (yet, or ever: it failed or was dismissed)."""

    title = "Result not ready"


class JobDismissed(TwinError):
    """Raised inside a running job when someone dismissed it: the worker stops there."""


class JobFinished(Conflict):
    """A job that has ended cannot be changed any more."""

    title = "Job finished"


@dataclass(frozen=True)
class JobInput:
    """What a process gets: its JSON inputs and the uploaded file, if any."""

    inputs: dict[str, Any]
    data: bytes | None = None
    name: str | None = None  # the file's name, whose suffix says its format


@dataclass
class Outcome:
    """What a process made: one result (file bytes or JSON bytes) and the report."""

    data: bytes
    media_type: str
    name: str
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """One row of the table, without its input and result bytes."""

    id: str
    process: str
    status: JobStatus
    progress: int
    message: str | None
    inputs: dict[str, Any]
    input_name: str | None
    result_type: str | None
    result_name: str | None
    report: dict[str, Any] | None
    attempts: int
    created: datetime
    started: datetime | None
    finished: datetime | None
    updated: datetime
    owner: str | None = None


Progress = Callable[[int, str], None]  # (percent 0-100, message)
Execute = Callable[[Job, JobInput, Progress], Outcome]

_SUMMARY = [c for c in job_table.c if c.name not in ("input_data", "result_data", "worker")]


def _now() -> datetime:
    return datetime.now(UTC)


def _job(row: Any) -> Job:
    values = dict(row._mapping)
    values["status"] = JobStatus(values["status"])
    for name in ("created", "started", "finished", "updated"):
        if values[name] is not None and values[name].tzinfo is None:  # SQLite keeps no zone
            values[name] = values[name].replace(tzinfo=UTC)
    return Job(**values)


def this_worker() -> str:
    """host:pid of this process, kept on the jobs it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_alive(worker: str | None) -> bool:
    """True when `worker` is a live process on this host (other hosts: assumed alive)."""
    if not worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """Reads and writes the `job` table of one store."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, process: str, job_input: JobInput, owner: str | None = None) -> Job:
        """A new `accepted` job holding its input, belonging to `owner`."""
        now = _now()
        job_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(job_table.insert().values(
                id=job_id, process=process, status=JobStatus.ACCEPTED.value, progress=0,
                message="accepted, waiting for a worker", inputs=job_input.inputs,
                input_data=job_input.data, input_name=job_input.name, attempts=0,
                created=now, updated=now, owner=owner))
        return self.get(job_id)

    def get(self, job_id: str, owner: Owner = EVERY_OWNER) -> Job:
        """The job, or NoSuchJob (also for a job of another owner than `owner`)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_SUMMARY).where(job_table.c.id == job_id)).first()
        if row is None or (owner is not EVERY_OWNER and row.owner != owner):
            raise NoSuchJob(f"no job {job_id!r}")
        return _job(row)

    def wait(self, job_id: str, timeout: float = 600.0, poll: float = 0.05) -> Job:
        """The job once it has ended, or as it stands after `timeout` seconds: a synchronous
        execution waits so for a job a queue worker took in the instant it was `accepted`."""
        deadline = time.monotonic() + timeout
        while (job := self.get(job_id)).status not in FINAL and time.monotonic() < deadline:
            time.sleep(poll)
        return job

    def page(self, *, limit: int = 100, offset: int = 0, status: list[str] | None = None,
             process: list[str] | None = None, owner: Owner = EVERY_OWNER
             ) -> tuple[list[Job], int]:
        """Jobs of `owner`, newest first, and how many match."""
        where = []
        if owner is not EVERY_OWNER:
            where.append(job_table.c.owner == owner)
        if status:
            where.append(job_table.c.status.in_(status))
        if process:
            where.append(job_table.c.process.in_(process))
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(job_table).where(*where)
                                 ).scalar_one()
            rows = conn.execute(select(*_SUMMARY).where(*where).order_by(
                job_table.c.created.desc(), job_table.c.id).limit(limit).offset(offset)).all()
        return [_job(r) for r in rows], int(total)

    def job_input(self, job_id: str) -> JobInput:
        """The inputs and file a job was submitted with."""
        with self.engine.connect() as conn:
            row = conn.execute(select(job_table.c.inputs, job_table.c.input_data,
                                      job_table.c.input_name).where(job_table.c.id == job_id)
                               ).first()
        if row is None:
            raise NoSuchJob(f"no job {job_id!r}")
        return JobInput(row.inputs, None if row.input_data is None else bytes(row.input_data),
                        row.input_name)

    def result(self, job_id: str, owner: Owner = EVERY_OWNER) -> tuple[Job, bytes]:
        """A successful job of `owner` and its result bytes; ResultNotReady otherwise."""
        job = self.get(job_id, owner)
        if job.status is not JobStatus.SUCCESSFUL:
            why = f": {job.message}" if job.status is JobStatus.FAILED and job.message else ""
            raise ResultNotReady(f"job {job_id} is {job.status}{why}; results exist only "
                                 "for a successful job")
        with self.engine.connect() as conn:
            data = conn.execute(select(job_table.c.result_data).where(
                job_table.c.id == job_id)).scalar_one()
        return job, bytes(data)

    def claim(self, job_id: str) -> Job | None:
        """Take an accepted job (or one a stopped worker left running) for this worker.

        Each take counts as an attempt; past MAX_ATTEMPTS the job ends `failed` (its
        progress and message kept) and None is returned, as for a job someone else holds.
        """
        now = _now()
        job = self.get(job_id)
        if job.status in FINAL:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            self._end(job_id, JobStatus.FAILED,
                      f"stopped {job.attempts} times by a server restart; gave up at "
                      f"{job.progress}% ({job.message})")
            return None
        resumed = job.status is JobStatus.RUNNING
        message = (f"resumed after a restart (attempt {job.attempts + 1})" if resumed
                   else "started")
        with self.engine.begin() as conn:
            taken = conn.execute(update(job_table).where(
                job_table.c.id == job_id, job_table.c.status == job.status.value,
                job_table.c.attempts == job.attempts,
            ).values(status=JobStatus.RUNNING.value, attempts=job.attempts + 1,
                     worker=this_worker(), message=message, started=job.started or now,
                     updated=now)).rowcount
        return self.get(job_id) if taken else None

    def next_accepted(self) -> str | None:
        """The oldest job waiting for a worker."""
        with self.engine.connect() as conn:
            return conn.execute(select(job_table.c.id).where(
                job_table.c.status == JobStatus.ACCEPTED.value).order_by(
                job_table.c.created).limit(1)).scalar()

    def orphans(self) -> list[str]:
        """Running jobs whose worker process on this host is gone (a stopped server)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(job_table.c.id, job_table.c.worker).where(
                job_table.c.status == JobStatus.RUNNING.value)).all()
        return [r.id for r in rows if not worker_alive(r.worker)]

    def report_progress(self, job_id: str, percent: int, message: str) -> None:
        """Note how far a running job is; JobDismissed when someone dismissed it."""
        with self.engine.begin() as conn:
            changed = conn.execute(update(job_table).where(
                job_table.c.id == job_id, job_table.c.status == JobStatus.RUNNING.value,
            ).values(progress=max(0, min(100, int(percent))), message=message,
                     updated=_now())).rowcount
        if not changed:
            raise JobDismissed(f"job {job_id} is no longer running")

    def succeed(self, job_id: str, outcome: Outcome) -> None:
        """Keep the result and the report; the job is `successful`."""
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(update(job_table).where(
                job_table.c.id == job_id, job_table.c.status == JobStatus.RUNNING.value,
            ).values(status=JobStatus.SUCCESSFUL.value, progress=100, message="done",
                     result_data=outcome.data, result_type=outcome.media_type,
                     result_name=outcome.name, report=outcome.report, finished=now,
                     updated=now))

    def fail(self, job_id: str, message: str, report: dict[str, Any] | None = None) -> None:
        """The job is `failed`, with why; its progress so far is kept."""
        self._end(job_id, JobStatus.FAILED, message, report)

    def dismiss(self, job_id: str, owner: Owner = EVERY_OWNER) -> Job:
        """Dismiss a job: a waiting or running one stops, a finished one loses its result."""
        job = self.get(job_id, owner)
        if job.status is JobStatus.DISMISSED:
            raise NoSuchJob(f"job {job_id!r} was dismissed already")
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(update(job_table).where(job_table.c.id == job_id).values(
                status=JobStatus.DISMISSED.value, message="dismissed", input_data=None,
                result_data=None, finished=job.finished or now, updated=now))
        return self.get(job_id)

    def prune(self, retention: timedelta, now: datetime | None = None) -> int:
        """Remove the jobs that finished more than `retention` ago, with their input and
        results; returns how many. Jobs still waiting or running are never removed."""
        before = (now or _now()) - retention
        with self.engine.begin() as conn:
            return conn.execute(delete(job_table).where(
                job_table.c.status.in_([s.value for s in FINAL]),
                job_table.c.finished < before)).rowcount

    def _end(self, job_id: str, status: JobStatus, message: str,
             report: dict[str, Any] | None = None) -> None:
        now = _now()
        values: dict[str, Any] = {"status": status.value, "message": message[:2000],
                                  "finished": now, "updated": now}
        if report is not None:
            values["report"] = report
        with self.engine.begin() as conn:
            conn.execute(update(job_table).where(
                job_table.c.id == job_id, job_table.c.status.not_in([s.value for s in FINAL]),
            ).values(**values))
