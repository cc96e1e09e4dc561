"""OGC API - Processes - Part 1: the process list and descriptions, execution, jobs.

An execution without `Prefer: respond-async` runs in the request and answers the results;
with it, the job is queued for the store's job worker (`twin.jobs`) and the answer is
201 with the job's status and its Location. Either way the job, its input, progress and
results are kept in the store, listed at `/jobs`, and dismissed with DELETE.

A job is its submitter's: a key lists, reads and dismisses only the jobs it made (an admin
key every job); keyless callers, where anonymous reading is on, share the anonymous jobs.
Another key's job answers 404, as one that does not exist. Listing also prunes finished
jobs older than TWIN_JOB_RETENTION_DAYS.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from addressing.service import AddressBaseCache
from api.auth import Principal, PrincipalDep
from api.conformance import declare
from api.dependencies import EngineDep, MediaType, SettingsDep
from api.errors import InputTooLarge
from api.links import link, url_for
from api.processes import PROCESSES, WRITES, Processes, job_input, summary
from api.processes.descriptions import JSON
from twin.errors import NotFound
from twin.jobs import (
    EVERY_OWNER,
    Job,
    JobStatus,
    JobStore,
    JobWorker,
    Owner,
    run_job,
    worker_for,
)
from twin.settings import Settings

SPEC = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf"
CONFORMANCE = [f"{SPEC}/{c}" for c in ("core", "json", "job-list", "dismiss",
                                       "ogc-process-description")]
EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0"

router = APIRouter(tags=["Processes"])

ProcessId = Annotated[str, Path(description="process id: " + ", ".join(PROCESSES))]
JobId = Annotated[str, Path(description="job id, as given by the execution", max_length=36)]


class NoSuchProcess(NotFound):
    """No process has this id."""

    title = "No such process"
    members = {"type": f"{EXCEPTIONS}/no-such-process"}


async def start_jobs(app: FastAPI, engine: Engine, addresses: AddressBaseCache,
                     settings: Settings) -> JobWorker:
    """Declare the conformance classes and start the store's job worker (lifespan)."""
    declare(app.state, CONFORMANCE)
    processes = app.state.processes = Processes(engine, addresses)
    worker = app.state.job_worker = worker_for(
        engine, processes, step_delay=settings.api.jobs_step_delay,
        retention=timedelta(days=settings.api.job_retention_days))
    await worker.start()
    return worker


def jobs_of(principal: Principal) -> Owner:
    """Whose jobs the caller sees: its own, or every job for an admin key."""
    principal.require("read")
    return EVERY_OWNER if principal.can("admin") else principal.actor


def _description(pid: str) -> dict[str, Any]:
    if pid not in PROCESSES:
        raise NoSuchProcess(f"no process {pid!r}; the processes are "
                            + ", ".join(PROCESSES))
    return PROCESSES[pid]


def _process_links(request: Request, pid: str) -> list[dict[str, str]]:
    return [link(url_for(request, f"/processes/{pid}"), "self", JSON, "Process description"),
            link(url_for(request, f"/processes/{pid}/execution"),
                 "http://www.opengis.net/def/rel/ogc/1.0/execute", JSON, "Execute")]


@router.get("/processes", operation_id="getProcesses", summary="The processes offered")
def processes(request: Request) -> dict[str, Any]:
    """Summaries of every process, with links to their descriptions."""
    return {"processes": [summary(p) | {"links": _process_links(request, pid)}
                          for pid, p in PROCESSES.items()],
            "links": [link(url_for(request, "/processes"), "self", JSON, "Processes")]}


@router.get("/processes/{processId}", operation_id="getProcessDescription",
            summary="A process: its inputs and outputs")
def process(request: Request, processId: ProcessId) -> dict[str, Any]:  # noqa: N803
    """The OGC process description (inputs and outputs as JSON Schema)."""
    return _description(processId) | {"links": _process_links(request, processId)}


def status_info(request: Request, job: Job) -> dict[str, Any]:
    """The OGC statusInfo of a job."""
    links = [link(url_for(request, f"/jobs/{job.id}"), "self", JSON, "Job status")]
    if job.status is JobStatus.SUCCESSFUL:
        links.append(link(url_for(request, f"/jobs/{job.id}/results"),
                          "http://www.opengis.net/def/rel/ogc/1.0/results", JSON, "Results"))
    return {
        "processID": job.process, "type": "process", "jobID": job.id,
        "status": str(job.status), "message": job.message, "progress": job.progress,
        "created": job.created.isoformat(),
        "started": job.started.isoformat() if job.started else None,
        "finished": job.finished.isoformat() if job.finished else None,
        "updated": job.updated.isoformat(), "attempts": job.attempts, "links": links,
    }


@router.post("/processes/{processId}/execution", operation_id="execute",
             summary="Run a process (Prefer: respond-async for a job)",
             status_code=200, responses={201: {"description": "job accepted (async)"}})
def execute(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    processId: ProcessId,  # noqa: N803
    body: Annotated[dict[str, Any], Body(examples=[{"inputs": {"address": "深圳市南山区"}}])],
    prefer: Annotated[str | None, Header(description="respond-async: run as a job")] = None,
) -> Response:
    """Run synchronously and answer the results, or (respond-async) queue a job: 201."""
    _description(processId)
    principal.require("write" if processId in WRITES else "read")
    given = job_input(processId, body.get("inputs", {}))
    jobs = JobStore(engine)
    if "respond-async" in (prefer or "").lower():
        job = jobs.create(processId, given, principal.actor)
        request.app.state.job_worker.submit(job.id)
        return JSONResponse(status_info(request, job), status_code=201, headers={
            "Location": url_for(request, f"/jobs/{job.id}"),
            "Preference-Applied": "respond-async"})
    if given.data is not None and len(given.data) > settings.api.sync_max_bytes:
        raise InputTooLarge(
            f"the file holds {len(given.data)} bytes; a synchronous execution takes at most "
            f"{settings.api.sync_max_bytes} (TWIN_SYNC_MAX_BYTES): send the header "
            "Prefer: respond-async to run it as a job", field="inputs.file",
            value=len(given.data))
    job = jobs.create(processId, given, principal.actor)
    run_job(jobs, request.app.state.processes, job.id, raise_errors=True)
    # The job was `accepted` for an instant: a queue worker may have taken it first. The
    # caller waits for the answer either way.
    jobs.wait(job.id)
    if body.get("response") == "raw":
        return _raw(jobs, job.id)
    document = _results(request, jobs, job.id)
    return JSONResponse(document, headers={"Link": f'<{url_for(request, f"/jobs/{job.id}")}>;'
                                                   ' rel="monitor"'})


@router.get("/jobs", operation_id="getJobs", summary="Jobs, newest first")
def jobs_list(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="jobs per page")] = 100,
    offset: Annotated[int, Query(ge=0, description="jobs to skip")] = 0,
    status: Annotated[list[JobStatus] | None, Query(description="only these statuses")] = None,
    processID: Annotated[list[str] | None, Query(description="only these processes")] = None,  # noqa: N803
) -> dict[str, Any]:
    """The status of every job the caller may see, newest first."""
    owner = jobs_of(principal)
    jobs = JobStore(engine)
    jobs.prune(timedelta(days=settings.api.job_retention_days))
    found, total = jobs.page(limit=limit, offset=offset,
                             status=[str(s) for s in status or []], process=processID,
                             owner=owner)
    links = [link(str(request.url), "self", JSON, "Jobs")]
    if offset + limit < total:
        links.append(link(url_for(request, "/jobs", limit=limit, offset=offset + limit,
                                  status=[str(s) for s in status or []] or None,
                                  processID=processID), "next", JSON, "Next page"))
    return {"jobs": [status_info(request, j) for j in found], "numberMatched": total,
            "links": links}


@router.get("/jobs/{jobId}", operation_id="getStatus", summary="A job's status and progress")
async def job_status(request: Request, engine: EngineDep, principal: PrincipalDep,
                     jobId: JobId) -> dict[str, Any]:  # noqa: N803
    """Status, progress 0-100 and message of one job."""
    job = await asyncio.to_thread(JobStore(engine).get, jobId, jobs_of(principal))
    return status_info(request, job)


@router.delete("/jobs/{jobId}", operation_id="dismiss", summary="Dismiss a job")
def dismiss(request: Request, engine: EngineDep, principal: PrincipalDep,
            jobId: JobId) -> dict[str, Any]:  # noqa: N803
    """Stop a waiting or running job, or drop a finished job's results."""
    return status_info(request, JobStore(engine).dismiss(jobId, jobs_of(principal)))


def _results(request: Request, jobs: JobStore, job_id: str, owner: Owner = EVERY_OWNER
             ) -> dict[str, Any]:
    job, data = jobs.result(job_id, owner)
    if job.result_type == JSON:
        result: Any = json.loads(data)
    else:
        result = {"href": url_for(request, f"/jobs/{job_id}/results/result"),
                  "type": job.result_type, "title": job.result_name}
    return {"result": result, "report": job.report or {}}


def _raw(jobs: JobStore, job_id: str, owner: Owner = EVERY_OWNER) -> Response:
    job, data = jobs.result(job_id, owner)
    return Response(data, media_type=job.result_type, headers={
        "Content-Disposition": f'attachment; filename="{job.result_name}"'})


@router.get("/jobs/{jobId}/results", operation_id="getResult", summary="A job's results")
def results(request: Request, engine: EngineDep, principal: PrincipalDep,
            jobId: JobId) -> dict[str, Any]:  # noqa: N803
    """The results: JSON results inline, a file result as a link, and the report."""
    return _results(request, JobStore(engine), jobId, jobs_of(principal))


@router.get("/jobs/{jobId}/results/{outputId}", operation_id="getResultOutput",
            summary="One output of a job: the file in the input's format, or the report",
            responses={200: {"content": {"text/csv": {}, MediaType.geojson.value: {}}}})
def result_output(
    engine: EngineDep, principal: PrincipalDep, jobId: JobId,  # noqa: N803
    outputId: Annotated[str, Path(description="result or report")],  # noqa: N803
) -> Response:
    """Download one output."""
    jobs, owner = JobStore(engine), jobs_of(principal)
    if outputId == "report":
        job, _ = jobs.result(jobId, owner)
        return JSONResponse(job.report or {})
    if outputId != "result":
        raise NotFound(f"no output {outputId!r}; the outputs are result and report")
    return _raw(jobs, jobId, owner)
