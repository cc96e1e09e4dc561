"""Jobs: durable in the store, run by a job engine (procrastinate on PostGIS, a worker
thread on SpatiaLite). Processes are given to the worker as one `Execute` callable, so
this package knows nothing of what a job does."""

from twin.jobs.store import (
    EVERY_OWNER,
    FINAL,
    MAX_ATTEMPTS,
    Execute,
    Job,
    JobDismissed,
    JobFinished,
    JobInput,
    JobStatus,
    JobStore,
    NoSuchJob,
    Outcome,
    Owner,
    Progress,
    ResultNotReady,
)
from twin.jobs.workers import JobWorker, ProcrastinateWorker, ThreadWorker, run_job, worker_for

__all__ = ["EVERY_OWNER", "FINAL", "MAX_ATTEMPTS", "Execute", "Job", "JobDismissed", "JobFinished",
           "JobInput", "JobStatus", "JobStore", "JobWorker", "NoSuchJob", "Outcome", "Owner",
           "ProcrastinateWorker", "Progress", "ResultNotReady", "ThreadWorker", "run_job",
           "worker_for"]
