"""Where the twin's time goes under wrk load: py-spy samples of one uvicorn worker.

    python bench/peers/profile_twin.py item      # item by id, 50 random codes
    python bench/peers/profile_twin.py bbox      # bbox pages of 100
    python bench/peers/profile_twin.py first     # first page of 1,000
    python bench/peers/profile_twin.py tile      # z14 building tiles (cached after warm-up)
    python bench/peers/profile_twin.py twin-tile # z14 tiles of the whole twin

Needs `pip install py-spy` and the buildings of features_data.py in twin_bench. Prints wrk's
figures, then the share of samples per function (self) and per frame of our code and the
libraries under it (inclusive). Idle worker threads show up as Condition.wait.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peers.servers import start_twin  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tiles.matrix import tiles_over  # noqa: E402

WATCH = ("api/", "twin/", "sqlalchemy/engine", "sqlalchemy/sql/compiler", "psycopg/cursor",
         "psycopg/connection", "orjson", "uvicorn/protocols", "fastapi/routing", "pyproj")


def paths(database_url: str, kind: str) -> list[str]:
    """Request paths for the kind of query asked for."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        codes = list(conn.execute(text(
            "SELECT code FROM building TABLESAMPLE SYSTEM (1) LIMIT 50")).scalars())
    engine.dispose()
    if kind == "item":
        return [f"/collections/buildings/items/{c}" for c in codes]
    if kind == "first":
        return ["/collections/buildings/items?limit=1000"]
    if kind in ("tile", "twin-tile"):  # z14 tiles under the sampled buildings
        engine = create_engine(database_url)
        with engine.connect() as conn:
            points = conn.execute(text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
                " FROM building TABLESAMPLE SYSTEM (1) LIMIT 50")).all()
        engine.dispose()
        base = "/tiles" if kind == "twin-tile" else "/collections/buildings/tiles"
        return sorted({f"{base}/WebMercatorQuad/{t.zoom}/{t.row}/{t.col}"
                       for x, y in points for t in tiles_over("WebMercatorQuad", 14, (x, y, x, y))})
    return [f"/collections/buildings/items?limit=100&bbox={113.90 + 0.004 * i:.3f},"
            f"{22.50 + 0.004 * i:.3f},{113.91 + 0.004 * i:.3f},{22.51 + 0.004 * i:.3f}"
            for i in range(16)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("item", "bbox", "first", "tile", "twin-tile"))
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1/twin_bench")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="profile-twin-"))
    server = start_twin(args.database_url, work)
    lua = work / "paths.lua"
    quoted = ",".join(f'"{p}"' for p in paths(args.database_url, args.kind))
    lua.write_text(f"local paths = {{{quoted}}}\nlocal i = 0\nrequest = function()\n"
                   "  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")
    wrk = ["wrk", "-t2", "-c8", "--latency", "-s", str(lua), server.base]
    try:
        subprocess.run([*wrk, "-d3s"], capture_output=True, check=True)  # warm up
        spy = subprocess.Popen(
            ["py-spy", "record", "--gil", "-f", "raw", "-r", "250", "-d", str(args.seconds + 2),
             "-o", str(work / "samples.txt"), "-p", str(server.process.pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        out = subprocess.run([*wrk, f"-d{args.seconds}s"], capture_output=True, text=True,
                             check=True).stdout
        spy.wait()
    finally:
        server.stop()
    print(out)
    own, inclusive, total = Counter(), Counter(), 0
    for line in (work / "samples.txt").read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{total} samples; self:")
    for frame, n in own.most_common(20):
        print(f"  {100 * n / total:5.1f}%  {frame[:120]}")
    print("inclusive (our code and the libraries under it):")
    for frame, n in inclusive.most_common(400):
        if n >= total / 100 and any(key in frame for key in WATCH):
            print(f"  {100 * n / total:5.1f}%  {frame[:120]}")
    print(f"\ncommand: python bench/peers/profile_twin.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
