"""`twin serve --sample --workers 2` as a real process on a free port, how its servers end,
and `twin export` with --crs and people's sensitive fields, on both stores.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import httpx
import pandas as pd
import pytest
from pyproj import Transformer
from typer.testing import CliRunner

from cli.main import app
from twin.layers import LAYERS, Level
from twin.settings import StoreSettings
from twin.store import migrate, open_store
from twin.transfer import read_layer

from ..clients.servers import free_port
from ..stores import STORES, store_url

# How the command line is started (one place to change if it moves).
CLI = [sys.executable, "-m", "cli"]


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def start_serve(url: str, workers: int, log: Path, *, sample: bool = True,
                **popen) -> tuple[str, subprocess.Popen]:
    """`twin serve [--sample] --workers N` in a session of its own, once it answers."""
    env = {**os.environ, "TWIN_DATABASE_URL": url, "TWIN_ENVIRONMENT": "test"}
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*CLI, "serve", *(["--sample"] if sample else []), "--workers", str(workers),
             "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, **popen)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while True:
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        try:
            if httpx.get(f"{base}/", timeout=5).status_code == 200:
                return base, process
        except httpx.TransportError:
            pass
        time.sleep(0.5)


@pytest.fixture(scope="module", params=STORES)
def served(request, tmp_path_factory):
    """A fresh store served by `twin serve --sample --workers 2`: (base URL, db URL, process);
    stopped afterwards as a service manager stops it (SIGTERM to the main process alone),
    and held to ending with 0 and every worker shut down and reaped."""
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    with store_url(request.param, workdir) as url:
        log = workdir / "serve.log"
        # Started as `twin serve &` in a script would be (SIGINT ignored), so the stop below
        # is the workers ending without Ctrl-C: each returns, then the command, with 0.
        base, process = start_serve(url, 2, log, preexec_fn=ignore_sigint)
        workers = children_of(process.pid)
        try:
            yield base, url, process
        finally:
            os.kill(process.pid, signal.SIGTERM)  # the main process only: it stops its workers
            try:
                ended = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                ended = process.wait()
        assert ended == 0, log.read_text()[-3000:]
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)  # reaped: gone
        said = log.read_text()
        assert said.count("Finished server process") == 2 and "Traceback" not in said


def test_serve_loads_the_sample_and_runs_two_workers(served):
    base, _, process = served
    page = httpx.get(f"{base}/collections/buildings/items", params={"limit": 3}).json()
    assert page["numberMatched"] > 300 and len(page["features"]) == 3  # the small sample
    # `twin serve` forks one server per worker over the shared socket.
    workers = children_of(process.pid)
    assert len(workers) == 2, [Path(f"/proc/{p}/cmdline").read_bytes() for p in workers]


@pytest.mark.parametrize("workers, kind", [(1, "spatialite"), (2, "postgis")])
def test_ctrl_c_stops_the_server_and_every_worker(workers, kind, tmp_path):
    """Ctrl-C in the terminal (SIGINT to the foreground process group): the server and
    each worker shut down, the command ends with 130 (128 + SIGINT, as shells count a
    Ctrl-C) and no traceback, the port is free."""
    with store_url(kind, tmp_path) as url:
        log = tmp_path / "serve.log"
        base, process = start_serve(url, workers, log)
        pids = [process.pid, *children_of(process.pid)]
        assert len(pids) == (1 if workers == 1 else 1 + workers)
        os.killpg(process.pid, signal.SIGINT)
        try:
            assert process.wait(timeout=30) == 130, log.read_text()[-3000:]
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in pids[1:]):
            assert time.monotonic() < deadline, "a worker outlived Ctrl-C"
            time.sleep(0.2)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/", timeout=5)
        said = log.read_text()
        assert f"with {workers} worker(s)" in said and "Traceback" not in said


def ignore_sigint() -> None:
    """What a POSIX shell does for `twin serve &` in a script (no job control)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_one_server_ending_without_ctrl_c_ends_the_command_with_0(tmp_path):
    """In a process that ignores SIGINT (`twin serve &` in a script), a SIGINT still stops
    the server gracefully (uvicorn listens for it), but raised again it ends nothing: the
    server returns and the command ends with 0. In-process: one server needs no fork."""
    with store_url("spatialite", tmp_path) as url:
        engine = open_store(StoreSettings(database_url=url))
        migrate(engine)  # a store, empty: `serve` without --sample on it
        engine.dispose()
        port = free_port()
        answered = []

        def stop_once_up() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    answered.append(httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            if answered:  # the server runs on the main thread until this signal
                os.kill(os.getpid(), signal.SIGINT)

        stopper = threading.Thread(target=stop_once_up)
        pytest_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            stopper.start()
            result = CliRunner().invoke(app, ["serve", "--port", str(port), "--database-url", url])
            stopper.join()
        finally:
            signal.signal(signal.SIGINT, pytest_sigint)
        assert answered == [200], result.output
        assert result.exit_code == 0, result.output
        assert f"serving on http://127.0.0.1:{port}/ with 1 worker(s)" in result.output
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=5)


def run(*args, url, check=True):
    env = {**os.environ, "TWIN_DATABASE_URL": url}
    result = subprocess.run([*CLI, *args], env=env,
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_export_crs_writes_gauss_kruger_coordinates(served, tmp_path):
    _, url, _ = served
    gk = tmp_path / "roads-gk.gpkg"
    run("export", "roads", str(gk), "--crs", "EPSG:4547", url=url)
    engine = open_store(StoreSettings(database_url=url))
    try:
        lonlat = read_layer(engine, LAYERS["roads"]).sort_values("code").reset_index(drop=True)
        people = read_layer(engine, LAYERS["people"], clearance=Level.sensitive)
    finally:
        engine.dispose()
    projected = gpd.read_file(gk).sort_values("code").reset_index(drop=True)
    assert projected.crs.to_epsg() == 4547 and len(projected) == len(lonlat) > 0
    assert list(projected["code"]) == list(lonlat["code"])
    to_gk = Transformer.from_crs(4490, 4547, always_xy=True)
    for a, b in zip(lonlat.geometry, projected.geometry, strict=True):
        x, y = a.geoms[0].coords[0]
        gx, gy = b.geoms[0].coords[0]
        ex, ey = to_gk.transform(x, y)
        assert abs(gx - ex) < 0.01 and abs(gy - ey) < 0.01
        assert 300_000 < gx < 700_000 and 2_400_000 < gy < 2_600_000  # metres, CM 114°E
    bad = run("export", "people", str(tmp_path / "x.csv"), "--crs", "EPSG:999999", url=url,
              check=False)
    assert bad.returncode == 3 and "Traceback" not in bad.stderr, bad.stderr
    assert "unknown CRS 'EPSG:999999'" in bad.stderr
    assert not (tmp_path / "x.csv").exists()
    # people's export, as any caller gets it: no sensitive value, never the ID hash
    masked = tmp_path / "people.csv"
    run("export", "people", str(masked), url=url)
    got = pd.read_csv(masked, dtype=str, keep_default_na=False).sort_values("code")
    assert "id_hash" not in got.columns and len(got) == len(people) > 0
    real = people.sort_values("code")
    for field in ("name", "phone", "birth_year"):
        values = set(got[field]) - {""} if field in got.columns else set()
        assert not values & {str(v) for v in real[field]}, field
    assert set(got["code"]) == set(real["code"])


def test_the_cli_refuses_the_development_secret_in_production(tmp_path):
    env = {**os.environ, "TWIN_DATABASE_URL": f"sqlite:///{tmp_path / 'twin.db'}",
           "TWIN_ENVIRONMENT": "prod"}
    env.pop("TWIN_SECRET_KEY", None)
    result = subprocess.run([*CLI, "serve", "--port", str(free_port())], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert "TWIN_SECRET_KEY must be set outside dev/test" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "twin.db").exists()  # refused before touching a store
