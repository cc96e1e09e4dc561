"""The three Features servers under test, each as one server process on a loopback port.

- the twin: `uvicorn api.app:create_app --factory`, one worker;
- tipg: `uvicorn tipg.main:app`, one worker, in its own venv (bench/peers/install.sh);
- pygeoapi: gunicorn, one worker process with threads, its PostgreSQL provider over the
  twin's `building` table, in its own venv.

Every server reads the same PostGIS table through the same indexes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
PEERS_DIR = Path(os.environ.get("TWIN_PEERS_DIR", Path.home() / ".cache/cim-twin/peers"))
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server: how to reach it, and how to phrase each benchmark query to it."""

    name: str
    base: str
    process: subprocess.Popen = field(repr=False)
    log: Path
    collection: str
    extra: dict[str, str] = field(default_factory=dict)  # query parameters it always needs
    bbox_extra: dict[str, str] = field(default_factory=dict)
    filter_extra: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the process we started, by its pid."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ensure_peers(*names: str) -> None:
    """Install the peers' virtualenvs, and the load tools the benches drive, if missing."""
    subprocess.run(["bash", str(REPO / "bench/peers/install.sh"), "load-tools", *names],
                   check=True,
                   env={**os.environ, "TWIN_PEERS_DIR": str(PEERS_DIR)})


def _wait(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} not up after {timeout} s:\n{log.read_text()[-3000:]}")


def wait_for_address_index(base: str, process: subprocess.Popen, log: Path,
                            timeout: float = 1800) -> None:
    # The twin builds its geocoder's index in the background at start (minutes for the
    # city sample's 16.7M addresses) and that build takes the CPU; the peers build none,
    # so the twin is measured in its steady state, once the build is over.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the twin exited:\n{log.read_text()[-3000:]}")
        if index_status(base)["state"] != "building":
            return
        time.sleep(1)
    raise RuntimeError(f"the twin's address index not built after {timeout} s")


def index_status(base: str) -> dict:
    """The twin's /geocode/status."""
    with urllib.request.urlopen(f"{base}/geocode/status", timeout=60) as r:  # noqa: S310
        return json.load(r)


def _launch(cmd: list[str], env: dict[str, str], log: Path, ready: str) -> subprocess.Popen:
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(ready, process, log)
    except BaseException:
        process.kill()
        raise
    return process


def start_twin(database_url: str, workdir: Path, wait_for_index: bool = True,
               env_extra: dict[str, str] | None = None) -> Server:
    """The twin, one uvicorn worker, no access log (by default once its index is built)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TWIN_DATABASE_URL": database_url,
           "TWIN_ENVIRONMENT": "test", **(env_extra or {})}
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
           "--log-level", "warning", "--no-access-log"]
    base = f"http://127.0.0.1:{port}"
    log = workdir / "twin.log"
    process = _launch(cmd, env, log, f"{base}/collections/buildings/items?limit=1")
    try:
        if wait_for_index:
            wait_for_address_index(base, process, log)
    except BaseException:
        process.kill()
        raise
    return Server("cim-twin", base, process, log, "buildings",
                  filter_extra={"filter-lang": "cql2-text"})


def start_tipg(database_url: str, workdir: Path) -> Server:
    """tipg 1.x over the same table (pk = code, so item ids are building codes)."""
    port = free_port()
    url = make_url(database_url)
    dsn = f"postgresql://{url.username}@{url.host}:{url.port or 5432}/{url.database}"
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.building"]',
        "TIPG_DB_FUNCTIONS": "[]",
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_TABLE_CONFIG__public_building__pk": "code",
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
    }
    venv = PEERS_DIR / "tipg" / "bin"
    cmd = [str(venv / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "1", "--log-level", "warning", "--no-access-log"]
    base = f"http://127.0.0.1:{port}"
    log = workdir / "tipg.log"
    process = _launch(cmd, env, log, f"{base}/collections/public.building/items?limit=1")
    return Server("tipg", base, process, log, "public.building",
                  filter_extra={"filter-lang": "cql2-text"})


def pygeoapi_config_for(database_url: str, port: int) -> dict:
    """pygeoapi's PostgreSQL provider over the twin's building table (storage CRS 4490)."""
    url = make_url(database_url)
    sys.path.insert(0, str(REPO))
    from api.pygeoapi.config import pygeoapi_config

    resource = {
        "type": "collection", "title": "buildings", "description": "building table",
        "keywords": ["buildings"],
        "extents": {"spatial": {"bbox": [113.75, 22.39, 114.10, 22.87]}},
        "providers": [{
            "type": "feature", "name": "PostgreSQL",
            "data": {"host": url.host, "port": url.port or 5432, "dbname": url.database,
                     "user": url.username, "password": url.password or ""},
            "id_field": "code", "table": "building", "geom_field": "geom",
            "storage_crs": EPSG_4490, "crs": [CRS84, EPSG_4490],
        }],
    }
    return pygeoapi_config(database_url, port=port, layers=(), with_geocoder=False,
                           extra_resources={"buildings": resource}, max_items=10_000)


def start_pygeoapi(database_url: str, workdir: Path, threads: int = 8) -> Server:
    """pygeoapi 0.21 under gunicorn: one worker process, `threads` threads."""
    import yaml

    port = free_port()
    venv = PEERS_DIR / "pygeoapi" / "bin"
    cfg, oas = workdir / "pygeoapi.yml", workdir / "pygeoapi-openapi.yml"
    cfg.write_text(yaml.safe_dump(pygeoapi_config_for(database_url, port), allow_unicode=True))
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYGEOAPI_CONFIG": str(cfg),
           "PYGEOAPI_OPENAPI": str(oas)}
    subprocess.run([str(venv / "pygeoapi"), "openapi", "generate", str(cfg), "--output-file",
                    str(oas)], check=True, env=env, cwd=REPO, capture_output=True)
    cmd = [str(venv / "gunicorn"), "--workers", "1", "--threads", str(threads),
           "--timeout", "120", "--bind", f"127.0.0.1:{port}", "pygeoapi.flask_app:APP"]
    base = f"http://127.0.0.1:{port}"
    log = workdir / "pygeoapi.log"
    process = _launch(cmd, env, log, f"{base}/collections/buildings/items?limit=1&f=json")
    # pygeoapi reads a CRS84 bbox as latitude-first EPSG:4490 and finds nothing; a bbox
    # "in EPSG:4490" given longitude first is what makes it search where the buildings are.
    return Server("pygeoapi", base, process, log, "buildings", extra={"f": "json"},
                  bbox_extra={"bbox-crs": EPSG_4490})


STARTERS: dict[str, Callable[[str, Path], Server]] = {
    "cim-twin": start_twin,
    "tipg": start_tipg,
    "pygeoapi": start_pygeoapi,
}


def describe(server: Server) -> str:
    """One line saying what runs where."""
    return json.dumps({"name": server.name, "base": server.base, "pid": server.process.pid})
