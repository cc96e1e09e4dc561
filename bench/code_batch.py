"""Batch coding of a 1M-row building registry, end to end on PostGIS.

Prints rows/s for: a first run (read, match, place, issue, persist, write — almost every
row a new building), a rerun of the same file (every row the same code, no code issued; the
statuses say `existing` where the first run said `new`),
and, with --resurvey, a re-survey of every building with shifted footprints (matching
1M rows against 1M stored buildings).

    python bench/code_batch.py [--rows 1000000] [--db twin_codes] [--resurvey]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sample_data.load import load  # noqa: E402
from sample_data.messy_buildings import messy_registry  # noqa: E402
from twin.registry_coding import CodingOptions, code_file  # noqa: E402
from twin.settings import StoreSettings  # noqa: E402
from twin.store import migrate, open_store  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
SHARES = {
    "existing_shifted": 0.02, "existing_address": 0.01, "existing_point": 0.01, "new": 0.90,
    "new_duplicate": 0.02, "conflict_two_buildings": 0.01, "conflict_address": 0.01,
    "bad_geometry": 0.005, "bad_year": 0.005, "unknown_address": 0.005,
}


def fresh_database(name: str, create: bool = True) -> str:
    """Drop the bench database `name` and (unless create=False) make it anew; its URL."""
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{SERVER}/{name}"


def timed_run(engine, source: Path, out: Path, label: str) -> tuple[float, object]:
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    report = code_file(engine, source, out, CodingOptions(chunk_size=50_000))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label}: {report.rows} rows in {seconds:.1f} s end to end "
          f"= {report.rows / seconds:,.0f} rows/s (coding step {report.seconds:.1f} s); "
          f"statuses {report.by_status}; codes issued {report.codes_issued}; "
          f"buildings created {report.buildings_created}", flush=True)
    steps = ", ".join(f"{k} {v:.1f}" for k, v in report.stages.items())
    print(f"  steps (s): {steps}; this process's CPU {cpu:.1f} s; "
          f"load average at start {load:.1f} (2 cores, shared)", flush=True)
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="twin_codes")
    parser.add_argument("--resurvey", action="store_true")
    args = parser.parse_args()
    print(f"command: python bench/code_batch.py --rows {args.rows} --db {args.db}"
          f"{' --resurvey' if args.resurvey else ''}")
    url = fresh_database(args.db)
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    load(engine, "small")
    work = Path(tempfile.mkdtemp(prefix="code-bench-"))
    t = time.perf_counter()
    # 1% without a year: the building code holds 9999 buildings per township and year
    # (0000 = not known), and the sample city has only 9 townships.
    reg = messy_registry(engine, rows=args.rows, seed=2024, shares=SHARES, unknown_year=0.01)
    source = work / "registry.csv"
    reg.write_csv(source)
    print(f"generated {len(reg.frame)} messy rows in {time.perf_counter() - t:.1f} s "
          f"({source.stat().st_size / 1e6:.0f} MB CSV)", flush=True)
    first_s, first = timed_run(engine, source, work / "coded1.csv", "first run")
    wrong = sum(e != s for e, s in zip(reg.expected_status, _statuses(work / "coded1.csv"),
                                       strict=True))
    print(f"rows whose status differs from the generator's truth: {wrong}")
    second_s, second = timed_run(engine, source, work / "coded2.csv", "rerun, same file")
    same = _column(work / "coded1.csv", "code") == _column(work / "coded2.csv", "code")
    print(f"rerun gives every row the same code: {same}; "
          f"codes issued on rerun: {second.codes_issued}")
    if args.resurvey:
        t = time.perf_counter()
        again = messy_registry(engine, rows=args.rows, seed=99,
                               shares={"existing_shifted": 1.0, **{k: 0.0 for k in SHARES
                                                                  if k != "existing_shifted"}})
        resurvey = work / "resurvey.csv"
        again.write_csv(resurvey)
        print(f"generated re-survey in {time.perf_counter() - t:.1f} s", flush=True)
        timed_run(engine, resurvey, work / "coded3.csv", "re-survey (all existing)")
    print(f"target: 1M rows ≤ 120 s; first run {first_s:.1f} s for {first.rows} rows")
    engine.dispose()


def _column(path: Path, name: str) -> list[str]:
    import pandas as pd

    return list(pd.read_csv(path, dtype=str, keep_default_na=False, usecols=[name])[name])


def _statuses(path: Path) -> list[str]:
    return _column(path, "status")


if __name__ == "__main__":
    main()
