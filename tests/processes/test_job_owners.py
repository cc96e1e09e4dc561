"""Jobs belong to the key that made them, and finished jobs are pruned after the retention,
over HTTP on both stores (README: "Processes and jobs")."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api import create_app
from tests.conftest import settings_for
from tests.processes.conftest import ASYNC, file_input, wait_for
from tests.stores import STORES
from twin.jobs import JobInput, JobStore
from twin.jobs.store import job_table

KEYS = {"a": {"X-API-Key": "writer-key"}, "b": {"Authorization": "Bearer sensitive-key"},
        "anonymous": {}}
ADMIN = {"X-API-Key": "admin-key"}
ADDRESSES = "地址\n广东省深圳市南山区\n"


def submit(api: TestClient, headers: dict[str, str]) -> str:
    """An async batch geocoding job made with `headers`' key, run to the end; its id."""
    answer = api.post("/processes/batch-geocode/execution", headers={**headers, **ASYNC},
                      json={"inputs": {"file": file_input(ADDRESSES.encode()),
                                       "column": "地址"}})
    assert answer.status_code == 201, answer.text
    status = wait_for(api, answer.headers["Location"], headers=headers)
    assert status["status"] == "successful", status
    return answer.json()["jobID"]


def listed(api: TestClient, headers: dict[str, str]) -> set[str]:
    body = api.get("/jobs", params={"limit": 1000}, headers=headers).json()
    return {job["jobID"] for job in body["jobs"]}


def test_a_job_is_listed_read_and_dismissed_only_by_its_key_or_an_admin(api):
    jobs = {who: submit(api, headers) for who, headers in KEYS.items()}
    for who, headers in KEYS.items():
        mine = listed(api, headers)
        assert jobs[who] in mine
        assert not mine & {jobs[other] for other in KEYS if other != who}, who
    assert set(jobs.values()) <= listed(api, ADMIN)

    a_job = f"/jobs/{jobs['a']}"
    for stranger in (KEYS["b"], KEYS["anonymous"]):
        for url in (a_job, a_job + "/results", a_job + "/results/result",
                    a_job + "/results/report"):
            refused = api.get(url, headers=stranger)
            assert refused.status_code == 404, (url, refused.text)
            assert jobs["a"] in refused.json()["detail"]
        assert api.delete(a_job, headers=stranger).status_code == 404
    assert api.get(a_job, headers=KEYS["a"]).json()["status"] == "successful"
    assert api.get(a_job + "/results/result", headers=ADMIN).status_code == 200
    # anonymous jobs are every keyless caller's (anonymous reading is on here)
    assert api.get(f"/jobs/{jobs['anonymous']}").json()["status"] == "successful"
    dismissed = api.delete(f"/jobs/{jobs['b']}", headers=ADMIN)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"


def test_without_anonymous_reading_a_keyless_caller_sees_no_jobs(process_engine):
    config = settings_for(process_engine)
    config.security.anonymous_scopes = []
    with TestClient(create_app(config)) as closed:
        assert closed.get("/jobs").status_code == 401
        assert closed.post("/processes/geocode/execution",
                           json={"inputs": {"address": "深圳市"}}).status_code == 401


def _age(engine, job_id: str, days: float) -> None:
    # The job finished `days` ago (the clock cannot be turned back; its row can).
    with engine.begin() as conn:
        conn.execute(update(job_table).where(job_table.c.id == job_id).values(
            finished=datetime.now(UTC) - timedelta(days=days)))


def _kept(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(job_table.c.id)).scalars())


def test_finished_jobs_past_the_retention_are_pruned_with_their_results(api, process_engine):
    old, recent = submit(api, KEYS["a"]), submit(api, KEYS["a"])
    _age(process_engine, old, 31)  # the default retention is 30 days
    _age(process_engine, recent, 29)
    assert {old, recent} <= _kept(process_engine)
    now_listed = listed(api, KEYS["a"])  # listing prunes first
    assert old not in now_listed and recent in now_listed
    assert old not in _kept(process_engine) and recent in _kept(process_engine)
    assert api.get(f"/jobs/{old}/results", headers=KEYS["a"]).status_code == 404

    # A server starting prunes too, with its own retention (here 10 days).
    _age(process_engine, recent, 11)
    config = settings_for(process_engine)
    config.api.job_retention_days = 10
    with TestClient(create_app(config)):
        deadline = time.monotonic() + 20
        while recent in _kept(process_engine) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert recent not in _kept(process_engine)


@pytest.mark.parametrize("store_kind", STORES)
def test_prune_keeps_jobs_not_yet_finished(empty_engine, store_kind):
    # No worker runs here: a job left waiting or running, however old, is never pruned.
    jobs = JobStore(empty_engine)
    made = {status: jobs.create("geocode", JobInput({"address": "x"}), owner="k").id
            for status in ("accepted", "running", "successful", "failed", "dismissed")}
    long_ago = datetime.now(UTC) - timedelta(days=400)
    with empty_engine.begin() as conn:
        for status, job_id in made.items():
            conn.execute(update(job_table).where(job_table.c.id == job_id).values(
                status=status, created=long_ago,
                finished=None if status in ("accepted", "running") else long_ago))
    assert jobs.prune(timedelta(days=399)) == 3
    assert _kept(empty_engine) == {made["accepted"], made["running"]}
    assert jobs.prune(timedelta(days=1)) == 0


@pytest.mark.parametrize("store_kind", STORES)
def test_waiting_for_a_job_another_worker_holds_returns_it_once_it_ends(empty_engine,
                                                                       store_kind):
    # A synchronous execution whose job a queue worker took first waits for that worker.
    jobs = JobStore(empty_engine)
    job = jobs.create("geocode", JobInput({"address": "x"}), owner="k")
    assert jobs.claim(job.id) is not None  # the other worker
    ender = threading.Timer(0.3, jobs.fail, (job.id, "ended by the other worker"))
    ender.start()
    started = time.monotonic()
    ended = jobs.wait(job.id, timeout=30)
    assert ended.status == "failed" and time.monotonic() - started >= 0.25
    # a job that does not end is returned as it stands once the time is up
    other = jobs.create("geocode", JobInput({"address": "y"}), owner="k")
    assert jobs.wait(other.id, timeout=0.2).status == "accepted"
