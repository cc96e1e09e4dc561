"""A real server killed in the middle of a batch-coding job, and started again: the job
resumes from its stored input and ends successful, and no code is issued twice."""

from __future__ import annotations

import io
import json
import os
import sys
import time

import httpx
import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.clients.servers import REPO, free_port, launch, stop
from tests.conftest import API_KEYS, SECRET
from tests.processes.conftest import ASYNC, WRITER, file_input, new_footprints, wait_for
from tests.stores import STORES, sample_store
from twin import models
from twin.jobs.store import job_table

BUILDINGS = 4


def serve(url: str, workdir, name: str, step_delay: float):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TWIN_DATABASE_URL": url,
           "TWIN_ENVIRONMENT": "test", "TWIN_SECRET_KEY": SECRET,
           "TWIN_API_KEYS": json.dumps(API_KEYS), "TWIN_JOBS_STEP_DELAY": str(step_delay)}
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    return launch(cmd, env=env, log=workdir / f"{name}.log", ready_path="/health", port=port)


def counts(engine) -> tuple[int, int]:
    registry, building = models.CodeRecord.__table__, models.Building.__table__
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(registry)).scalar_one(),
                conn.execute(select(func.count()).select_from(building)).scalar_one())


def issued_codes(engine, before: int) -> list[str]:
    building = models.Building.__table__
    with engine.connect() as conn:
        return list(conn.execute(select(building.c.code).where(building.c.id > before)
                                 ).scalars())


@pytest.mark.parametrize("kind", STORES)
def test_a_job_cut_off_by_a_stopped_server_resumes_without_issuing_a_code_twice(
        kind, tmp_path):
    with sample_store(kind, tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        registry = "name,wkt\n" + "".join(
            f'楼{i},"{wkt}"\n' for i, wkt in enumerate(new_footprints(engine, BUILDINGS)))
        codes_before, buildings_before = counts(engine)
        with engine.connect() as conn:
            last_id = conn.execute(select(func.max(models.Building.__table__.c.id))).scalar()

        first = serve(url, tmp_path, "first", step_delay=1.5)
        try:
            answer = httpx.post(first.url + "/processes/batch-code/execution",
                                headers={**WRITER, **ASYNC}, timeout=30, json={"inputs": {
                                    "file": file_input(registry.encode()), "chunk_size": 1}})
            assert answer.status_code == 201, answer.text
            job_id = answer.json()["jobID"]
            status = wait_for(httpx, f"{first.url}/jobs/{job_id}",
                              until=("successful", "failed"), timeout=0, headers=WRITER)
            deadline = time.monotonic() + 60
            while "new buildings coded" not in (status["message"] or ""):
                assert time.monotonic() < deadline, status
                time.sleep(0.1)
                status = httpx.get(f"{first.url}/jobs/{job_id}", headers=WRITER).json()
            first.process.kill()  # no shutdown: the job is cut off mid-way
            first.process.wait()
        finally:
            stop(first.process)

        with engine.connect() as conn:
            cut = conn.execute(select(job_table.c.status, job_table.c.progress).where(
                job_table.c.id == job_id)).one()
        partial = issued_codes(engine, last_id)
        assert cut.status == "running" and 0 < cut.progress < 100
        assert 1 <= len(partial) < BUILDINGS  # some codes were issued and committed

        second = serve(url, tmp_path, "second", step_delay=0)
        try:
            status = wait_for(httpx, f"{second.url}/jobs/{job_id}", timeout=90, headers=WRITER)
            assert status["status"] == "successful", status
            assert status["attempts"] == 2
            document = httpx.get(f"{second.url}/jobs/{job_id}/results", headers=WRITER).json()
            coded = pd.read_csv(io.BytesIO(httpx.get(document["result"]["href"],
                                                     headers=WRITER).content), dtype=str)
        finally:
            stop(second.process)

        # what the first attempt coded is `existing` to the second, the rest `new`
        by_code = dict(zip(coded["code"], coded["status"], strict=True))
        assert sorted(c for c, s in by_code.items() if s == "existing") == sorted(partial)
        assert list(coded["status"]).count("new") == BUILDINGS - len(partial)
        assert coded["code"].nunique() == BUILDINGS
        final = issued_codes(engine, last_id)
        assert sorted(final) == sorted(coded["code"]) and set(partial) <= set(final)
        assert counts(engine) == (codes_before + BUILDINGS, buildings_before + BUILDINGS)
        # the second attempt issued only what the first had not
        assert document["report"]["codes_issued"] == BUILDINGS - len(partial)
