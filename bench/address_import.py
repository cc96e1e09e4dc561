"""How fast `twin import addresses` builds an address tree, and what memory it takes.

Writes an address-base CSV (one row per room, the columns issue 3 names: county_code,
township by name, community by code, road … room, lon, lat, no address_code so every
code is issued) from the `city` sample generator, then runs the real CLI into a fresh
store, twice: the first run creates the tree, the second must create nothing (an import
is idempotent). Each run is its own process, so its peak RSS is its own.

    python bench/address_import.py --rooms 200000                              # SpatiaLite file
    python bench/address_import.py --rooms 200000 --database twin_import_bench # local PostGIS
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from code_batch import fresh_database  # a sibling script in bench/

from sample_data import generate
from twin.divisions import load_divisions

COLUMNS = ("county_code", "township", "community", "road", "door_no", "compound", "building",
           "unit", "floor", "room", "lon", "lat")


def write_base(path: Path, rooms: int, seed: int) -> int:
    """The first `rooms` rooms of the city sample as an address-base CSV."""
    townships = {d.code: d.name for d in load_divisions()}
    written = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for chunk in generate("city", seed):
            for row in chunk.rows["addresses"]:
                if row["level"] != "room":
                    continue
                point = row["geom"]
                out.writerow([row["county_code"][:6], townships[row["township_code"]],
                              row["community_code"], row["road"], row["door_no"],
                              row["compound"] or "", row["building"], row["unit"] or "",
                              row["floor"] or "", row["room"], f"{point.x:.7f}",
                              f"{point.y:.7f}"])
                written += 1
                if written == rooms:
                    return written
    return written


# Runs the twin CLI and says its own peak RSS on exit (ru_maxrss of this process alone).
CLI = ("import atexit, resource, sys\n"
       "atexit.register(lambda: print('peak_rss_kib', resource.getrusage("
       "resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
       "sys.argv = ['twin', *sys.argv[1:]]\n"
       "from cli.main import app\n"
       "app()\n")


def twin(*args: str) -> tuple[float, int, str]:
    """Seconds, peak RSS (KiB) and report of one `twin` command in its own process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", CLI, *args],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "1000"})  # one line per report
    seconds = time.perf_counter() - started
    peak = re.search(r"peak_rss_kib (\d+)", done.stderr)
    if done.returncode != 0 or peak is None:
        raise SystemExit(f"twin {args[0]} failed ({done.returncode}): "
                         f"{done.stdout[-1000:]}{done.stderr[-2000:]}")
    return seconds, int(peak.group(1)), done.stderr  # the CLI reports on stderr


def fresh_store(database: str | None, workdir: Path) -> str:
    """A new SpatiaLite file, or the local PostGIS database `database` dropped and made anew."""
    if database is None:
        return f"sqlite:///{workdir / 'import_bench.db'}"
    return fresh_database(database)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rooms", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--database", help="a local PostGIS database to drop and create "
                    "(default: a SpatiaLite file in a temporary directory)")
    args = ap.parse_args()
    print("command: python " + " ".join(sys.argv))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        base = workdir / "base.csv"
        started = time.perf_counter()
        rooms = write_base(base, args.rooms, args.seed)
        print(f"file: {rooms:,} rooms, {base.stat().st_size / 2**20:.0f} MiB, written in "
              f"{time.perf_counter() - started:.0f} s")
        url = fresh_store(args.database, workdir)
        env_store = "PostGIS" if url.startswith("postgresql") else "SpatiaLite"
        _, baseline_kib, _ = twin("init", "--database-url", url)
        print(f"the CLI itself (twin init): peak RSS {baseline_kib / 1024:,.0f} MiB")
        for label in ("first import", "same file again"):
            seconds, peak_kib, out = twin("import", "addresses", str(base), "--database-url", url)
            summary = next((" ".join(line.split()) for line in out.splitlines()
                            if line.startswith("addresses:")), out[-300:])
            created = re.search(r"created (\d+) nodes", summary)
            print(f"{env_store} {label}: {seconds:.1f} s, {rooms / seconds:,.0f} rows/s, "
                  f"peak RSS {peak_kib / 1024:,.0f} MiB "
                  f"({(peak_kib - baseline_kib) / rooms:,.2f} KiB a row above init); "
                  f"created {created.group(1) if created else '?'} nodes")
            print(f"  {summary}")
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
