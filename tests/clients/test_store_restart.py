"""The service while its PostgreSQL restarts under it.

A private PostgreSQL cluster (initdb into a temporary folder, its own port) holds the store,
so this test can stop and start it without touching the server the other tests share. While
the store is down every request that needs it is answered at once with 503 problem+json
and Retry-After, never a 500 or a hang; once it is back the same requests succeed without
restarting the service: the routes (SQLAlchemy's pool), the lean item and tile reads (the
async psycopg pool) and the collections documents alike. A batch-coding job running when
the store goes away is run again once it is back, and ends successful with each new
building coded once.
"""

from __future__ import annotations

import io
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import func, select

from sample_data.city import admin_geometries
from tests.processes.conftest import ASYNC, file_input, new_footprints, wait_for
from twin import models
from twin.admin_areas import install_divisions, set_boundaries
from twin.settings import StoreSettings
from twin.store import migrate, open_store

from .servers import WRITE_KEY, free_port, start_twin, stop

pytestmark = pytest.mark.clients
PG_BIN = Path("/usr/lib/postgresql") / max(os.listdir("/usr/lib/postgresql"), key=int) / "bin"


class Cluster:
    """A PostgreSQL cluster of our own: initdb, start, stop, as its owner."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"

    def run(self, *args: str) -> None:
        # initdb and pg_ctl refuse to run as root: run them as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c unix_socket_directories={self.folder}")
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                 "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self) -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="twin-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(folder, free_port())
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(folder, ignore_errors=True)


def answers(base: str, paths: list[str]) -> dict[str, httpx.Response]:
    return {path: httpx.get(base + path, timeout=30) for path in paths}


def answered(responses: dict[str, httpx.Response]) -> bool:
    # 204: the division table has no boundaries here, so the tile is empty (and answered).
    return all(r.status_code in ((200, 204) if "/tiles/" in p else (200,))
               for p, r in responses.items())


WRITER = {"X-API-Key": WRITE_KEY}
BUILDINGS = 4


def start_coding(base: str, registry: str) -> str:
    """A batch-coding job of one building a chunk, once it has coded at least one."""
    answer = httpx.post(base + "/processes/batch-code/execution", headers={**WRITER, **ASYNC},
                        timeout=30, json={"inputs": {"file": file_input(registry.encode()),
                                                     "chunk_size": 1}})
    assert answer.status_code == 201, answer.text
    job = answer.headers["location"]
    deadline = time.monotonic() + 60
    while "new buildings coded" not in (httpx.get(job, headers=WRITER).json()["message"] or ""):
        assert time.monotonic() < deadline, httpx.get(job, headers=WRITER).text
        time.sleep(0.1)
    return job


def buildings(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(models.Building.__table__.c.code)).scalars())


def test_requests_fail_cleanly_while_the_store_restarts_and_succeed_after(tmp_path):
    with private_cluster() as cluster:
        engine = open_store(StoreSettings(database_url=cluster.url))
        migrate(engine)
        install_divisions(engine)
        set_boundaries(engine, admin_geometries()[0])  # townships to place buildings in
        registry = "name,wkt\n" + "".join(
            f'楼{i},"{wkt}"\n' for i, wkt in enumerate(new_footprints(engine, BUILDINGS)))
        engine.dispose()  # its connections would not outlive the restart
        server = start_twin(cluster.url, tmp_path, jobs_step_delay="1")
        try:
            base = server.url
            paths = [
                "/collections/admin_areas/items?limit=3",      # a route, SQLAlchemy's pool
                "/collections/admin_areas/items/440305000000",  # lean item read, async pool
                "/collections/admin_areas/tiles/WebMercatorQuad/3/3/6",  # a tile
                "/collections/admin_areas",                      # the kept documents
            ]
            before = answers(base, paths)
            assert answered(before), {
                p: (r.status_code, r.text[:200]) for p, r in before.items()}

            job = start_coding(base, registry)
            cluster.stop()
            started = time.monotonic()
            down = answers(base, paths[:3])
            for path, response in down.items():
                assert response.status_code == 503, (path, response.status_code, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["retry-after"] == "5"
                problem = response.json()
                assert problem["title"] == "Store unavailable"
                assert "try again" in problem["detail"] and "SELECT" not in problem["detail"]
            assert time.monotonic() - started < 20  # answered, not held until a timeout

            cluster.start()
            deadline = time.monotonic() + 30
            while True:
                after = answers(base, paths)
                if answered(after):
                    break
                assert time.monotonic() < deadline, {
                    p: (r.status_code, r.text[:200]) for p, r in after.items()}
                time.sleep(0.5)
            assert after[paths[0]].json()["features"] == before[paths[0]].json()["features"]
            assert after[paths[1]].json() == before[paths[1]].json()
            assert after[paths[2]].content == before[paths[2]].content
            assert after[paths[3]].json()["id"] == "admin_areas"

            status = wait_for(httpx, job, timeout=60, headers=WRITER)
            assert status["status"] == "successful", status
            assert status["attempts"] == 2, status  # cut off by the stop, then run again
            document = httpx.get(job + "/results", headers=WRITER).json()
            coded = pd.read_csv(io.BytesIO(httpx.get(document["result"]["href"],
                                                     headers=WRITER).content), dtype=str)
            assert server.process.poll() is None  # the same service, never restarted
            assert "Traceback" not in server.log.read_text()
        finally:
            stop(server.process)
        # each building coded once, in one attempt or the other, and none twice
        stored = buildings(engine)
        assert len(stored) == BUILDINGS and sorted(coded["code"]) == sorted(stored)
        # what the cut-off attempt committed is `existing` to the next, which issues the rest
        assert set(coded["status"]) <= {"existing", "new"}
        assert document["report"]["codes_issued"] == list(coded["status"]).count("new")
        with engine.connect() as conn:
            registry_rows = conn.execute(select(func.count()).select_from(
                models.CodeRecord.__table__)).scalar_one()
        assert registry_rows == BUILDINGS
