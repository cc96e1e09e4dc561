"""pygeoapi as a peer: its virtualenv (made on demand by bench/peers/install.sh) and server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from api.pygeoapi.config import pygeoapi_config

from .servers import REPO, RunningServer, free_port, launch

PEERS_DIR = Path(os.environ.get("TWIN_PEERS_DIR", Path.home() / ".cache/cim-twin/peers"))
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def pygeoapi_bin() -> Path:
    """The bin/ of pygeoapi's own virtualenv, installing it first if it is not there."""
    venv = PEERS_DIR / "pygeoapi"
    if not (venv / "bin" / "gunicorn").exists():
        env = {**os.environ, "TWIN_PEERS_DIR": str(PEERS_DIR), "PYTHON": sys.executable}
        subprocess.run(["bash", str(REPO / "bench/peers/install.sh"), "pygeoapi"],
                       check=True, timeout=600, env=env)
    return venv / "bin"


def postgresql_resource(database_url: str, table: str = "building") -> dict[str, Any]:
    """pygeoapi's own PostgreSQL provider over one of the twin's PostGIS tables."""
    url = make_url(database_url)
    return {
        "type": "collection",
        "title": f"{table} through pygeoapi's PostgreSQL provider",
        "description": "the same PostGIS table, read by pygeoapi itself",
        "keywords": ["peer"],
        "extents": {"spatial": {"bbox": [113.75, 22.39, 114.10, 22.87]}},
        "providers": [{
            "type": "feature",
            "name": "PostgreSQL",
            "data": {"host": url.host, "port": url.port or 5432, "dbname": url.database,
                     "user": url.username, "password": url.password or ""},
            "id_field": "code",
            "table": table,
            "geom_field": "geom",
            "storage_crs": EPSG_4490,
            "crs": [CRS84, EPSG_4490],
        }],
    }


def start_pygeoapi(database_url: str, workdir: Path, *, extra: dict[str, Any] | None = None,
                   with_geocoder: bool = True, threads: int = 4) -> RunningServer:
    """pygeoapi under gunicorn (one process) with the twin's plugins over `database_url`."""
    bin_dir = pygeoapi_bin()
    port = free_port()
    config = pygeoapi_config(database_url, port=port, extra_resources=extra,
                             with_geocoder=with_geocoder)
    cfg, oas = workdir / "pygeoapi.yml", workdir / "pygeoapi-openapi.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYGEOAPI_CONFIG": str(cfg),
           "PYGEOAPI_OPENAPI": str(oas)}
    subprocess.run([str(bin_dir / "pygeoapi"), "openapi", "generate", str(cfg),
                    "--output-file", str(oas)], check=True, env=env, cwd=REPO,
                   capture_output=True, timeout=120)
    cmd = [str(bin_dir / "gunicorn"), "--workers", "1", "--threads", str(threads),
           "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
           "--access-logformat", '%(h)s "%(r)s" %(s)s', "pygeoapi.flask_app:APP"]
    return launch(cmd, env=env, log=workdir / "pygeoapi.log", ready_path="/?f=json", port=port)
