"""A mixed workload at 50 concurrent clients: features, tiles, geocoding and batch jobs.

    python bench/mixed_load.py                      # load the small sample into twin_mixed
    python bench/mixed_load.py --reuse              # measure again on what is loaded
    python bench/mixed_load.py --size city --database twin_city --reuse

One twin process (uvicorn, one worker) over PostGIS. wrk (-t2, 50 connections, 60 s by
default) rotates through a mix drawn from the store: bbox pages, items by id, z14–z16
tiles, `/geocode` of real sample addresses, `/collections`. Meanwhile a client submits an
async `batch-geocode` job (Prefer: respond-async) every few seconds with a write key.
After the load, every job must end `successful` with one result row per input row: a job
that fails, hangs or loses rows is counted as lost. Printed: requests/s, p50, p99,
non-2xx answers and socket errors (wrk), and the jobs submitted, finished and lost.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from code_batch import SERVER, fresh_database  # noqa: E402  (sibling scripts)
from features_peers import WRK_SCRIPT  # noqa: E402
from peers.servers import start_twin  # noqa: E402

import sample_data  # noqa: E402
from tiles.matrix import tiles_over  # noqa: E402
from twin.admin_areas import install_divisions  # noqa: E402
from twin.settings import StoreSettings  # noqa: E402
from twin.store import migrate, open_store  # noqa: E402

WRITE_KEY = "mixed-load-writer"


def load(database: str, size: str) -> str:
    url = fresh_database(database)
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    install_divisions(engine)
    started = time.perf_counter()
    sample_data.load(engine, size)
    print(f"# loaded the {size} sample in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return url


def request_mix(url: str, seed: int) -> tuple[list[str], list[str]]:
    """The GET paths wrk rotates through, and addresses for the batch jobs."""
    rng = random.Random(seed)
    engine = create_engine(url)
    with engine.connect() as conn:
        codes = conn.execute(text(
            "SELECT code FROM building ORDER BY random() LIMIT 200")).scalars().all()
        points = conn.execute(text(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM building "
            "ORDER BY random() LIMIT 100")).all()
        addresses = conn.execute(text(
            "SELECT full_text FROM address WHERE level IN ('door', 'building', 'room') "
            "ORDER BY random() LIMIT 400")).scalars().all()
    engine.dispose()
    paths = [f"/collections/buildings/items/{c}" for c in codes[:100]]
    for x, y in points[:40]:
        paths.append(f"/collections/buildings/items?limit=100&bbox={x - 0.004:.5f},"
                     f"{y - 0.004:.5f},{x + 0.004:.5f},{y + 0.004:.5f}")
    for x, y in points:
        zoom = rng.choice((14, 15, 16))
        [tile] = tiles_over("WebMercatorQuad", zoom, (x, y, x, y))
        paths.append(f"/tiles/WebMercatorQuad/{zoom}/{tile.row}/{tile.col}")
    paths += [f"/geocode?q={quote(a)}" for a in addresses[:200]]
    paths += ["/collections"] * 10
    rng.shuffle(paths)
    return paths, list(addresses[200:])


def run_wrk(base: str, paths: list[str], seconds: int, connections: int, work: Path) -> str:
    script = work / "mix.lua"
    quoted = ", ".join(json.dumps(p) for p in paths)
    script.write_text(WRK_SCRIPT % quoted)
    return subprocess.run(
        ["wrk", "-t2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
         "--latency", "-s", str(script), base],
        capture_output=True, text=True, check=True).stdout


def submit_jobs(base: str, addresses: list[str], stop: threading.Event, every: float,
                rows: int, jobs: list[tuple[str, int]], errors: list[str]) -> None:
    """Submit a batch-geocode job every `every` seconds until `stop`; (job URL, rows)."""
    headers = {"Prefer": "respond-async", "X-API-Key": WRITE_KEY}
    rng = random.Random(7)
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            chosen = rng.sample(addresses, min(rows, len(addresses)))
            csv = "地址\n" + "\n".join(a.replace(",", " ") for a in chosen) + "\n"
            body = {"inputs": {"file": {"value": base64.b64encode(csv.encode()).decode(),
                                        "mediaType": "text/csv", "encoding": "base64"},
                               "column": "地址"}}
            try:
                answer = client.post("/processes/batch-geocode/execution", json=body,
                                     headers=headers)
                if answer.status_code == 201:
                    jobs.append((answer.headers["Location"], len(chosen)))
                else:
                    errors.append(f"submit: {answer.status_code} {answer.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(f"submit: {exc!r}")
            stop.wait(every)


def check_jobs(base: str, jobs: list[tuple[str, int]], timeout: float) -> list[str]:
    """Wait for every job; the ones that did not end successful with all their rows."""
    lost = []
    headers = {"X-API-Key": WRITE_KEY}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=60, headers=headers) as client:
        for url, rows in jobs:
            while True:
                status = client.get(url).json()
                if status.get("status") in ("successful", "failed", "dismissed"):
                    break
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            if status.get("status") != "successful":
                lost.append(f"{url}: {status.get('status')} {status.get('message', '')[:200]}")
                continue
            report = client.get(url + "/results").json()["report"]
            if report.get("rows") != rows:
                lost.append(f"{url}: {report.get('rows')} rows of {rows}")
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="twin_mixed")
    parser.add_argument("--size", default="small", choices=("small", "city"))
    parser.add_argument("--reuse", action="store_true", help="keep what is loaded")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--job-every", type=float, default=5.0, help="seconds between jobs")
    parser.add_argument("--job-rows", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    url = f"{SERVER}/{args.database}" if args.reuse else load(args.database, args.size)
    work = Path(tempfile.mkdtemp(prefix="mixed-load-"))
    paths, addresses = request_mix(url, args.seed)
    server = start_twin(url, work, env_extra={"TWIN_API_KEYS": json.dumps(
        {WRITE_KEY: ["read", "write"]})})
    jobs: list[tuple[str, int]] = []
    errors: list[str] = []
    try:
        stop = threading.Event()
        submitter = threading.Thread(target=submit_jobs, args=(
            server.base, addresses, stop, args.job_every, args.job_rows, jobs, errors))
        load_before = os.getloadavg()[0]
        submitter.start()
        out = run_wrk(server.base, paths, args.seconds, args.connections, work)
        stop.set()
        submitter.join()
        lost = check_jobs(server.base, jobs, timeout=300)
        server_errors = [ln for ln in (work / "twin.log").read_text().splitlines()
                         if "Traceback" in ln]
    finally:
        server.stop()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    print(f"# {len(paths)} distinct GETs: {sum('/items/' in p for p in paths)} items by id, "
          f"{sum('bbox=' in p for p in paths)} bbox pages, {sum('/tiles/' in p for p in paths)}"
          f" tiles, {sum('/geocode' in p for p in paths)} geocodes, /collections; "
          f"load {load_before:.1f} before")
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s: {rps} req/s, p50 {latency['50']}, "
          f"p90 {latency['90']}, p99 {latency['99']}; non-2xx "
          f"{non_2xx.group(1) if non_2xx else 0}; socket errors "
          f"{sockets.group(1) if sockets else 'none'}")
    print(f"batch-geocode jobs ({args.job_rows} rows, one every {args.job_every:g} s): "
          f"{len(jobs)} submitted, {len(jobs) - len(lost)} successful with every row, "
          f"{len(lost)} lost; {len(errors)} refused at submission")
    for line in (lost + errors + server_errors)[:20]:
        print("  ", line)
    print(f"\ncommand: python bench/mixed_load.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
