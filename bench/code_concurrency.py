"""Eight processes code overlapping registry files at once on PostGIS: count what can go wrong.

Each process runs `twin code` on its own random 70% of one messy registry (small chunks,
so transactions interleave). A code issued twice, or a natural key with two codes, cannot
happen (the registry's primary key and unique (scheme, natural_key) refuse them), so they
are not counted. It prints what the schema does not catch: one building stored (so coded)
twice under two footprints, input rows given different codes by different processes,
codes issued for no building, and building numbers skipped or counters left where they
would hand a number out again — all must be 0 — with the statuses for information.

    python bench/code_concurrency.py [--rows 20000] [--processes 8] [--chunk 500]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from code_batch import fresh_database  # noqa: E402  (a sibling script in bench/)

from sample_data.load import load  # noqa: E402
from sample_data.messy_buildings import messy_registry  # noqa: E402
from twin import models  # noqa: E402
from twin.codes.schemes import BUILDING  # noqa: E402
from twin.registry_coding.matching import group_same_footprints  # noqa: E402
from twin.settings import StoreSettings  # noqa: E402
from twin.store import migrate, open_store  # noqa: E402


def sequence_faults(issued: set[str], before: set[str], counters: dict[str, int]
                    ) -> tuple[int, int]:
    """Numbers skipped, and prefixes whose counter is behind, among the issued codes.

    Under a prefix, issued numbers must run on from just above the buildings stored there
    before (`before`) to the counter's next value.
    """
    old = BUILDING.sequence_numbers(before, "building")
    skipped = behind = 0
    for prefix, got in BUILDING.sequence_numbers(issued, "building").items():
        first = max(old.get(prefix, [0])) + 1
        counter = counters.get(prefix, 0)
        skipped += max(counter, max(got) + 1) - first - len(set(got))
        behind += counter <= max(got)
    return skipped, behind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--db", default="twin_codes_conc")
    args = parser.parse_args()
    print(f"command: python bench/code_concurrency.py --rows {args.rows} "
          f"--processes {args.processes} --chunk {args.chunk}")
    url = fresh_database(args.db)
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    load(engine, "small")
    reg = messy_registry(engine, rows=args.rows, seed=5)
    work = Path(tempfile.mkdtemp(prefix="code-conc-"))
    inputs = []
    for p in range(args.processes):
        rng = random.Random(p)
        keep = sorted(rng.sample(range(len(reg.frame)), int(len(reg.frame) * 0.7)))
        path = work / f"part{p}.csv"
        reg.frame.iloc[keep].to_csv(path, index=False, lineterminator="\n")
        inputs.append(path)
    started = time.perf_counter()
    procs = [subprocess.Popen(
        [sys.executable, "-m", "cli", "code", str(path), "-o", str(work / f"out{p}.csv"),
         "--chunk-size", str(args.chunk), "--database-url", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    ) for p, path in enumerate(inputs)]
    failures = 0
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode not in (0, 1):  # 1: done, with bad rows listed
            failures += 1
            print(f"process failed ({proc.returncode}): {err[-1500:]}")
    print(f"{args.processes} processes × {int(len(reg.frame) * 0.7)} rows each "
          f"(overlapping) in {time.perf_counter() - started:.1f} s; failed processes: {failures}")

    codes_by_row: dict[str, set[str]] = defaultdict(set)
    status_by_row: dict[str, set[str]] = defaultdict(set)
    new_codes: set[str] = set()
    for p in range(args.processes):
        out = pd.read_csv(work / f"out{p}.csv", dtype=str, keep_default_na=False)
        for row_id, code, status in zip(out["序号"], out["code"], out["status"], strict=True):
            status_by_row[row_id].add(status)
            if code:
                codes_by_row[row_id].add(code)
            if status == "new":
                new_codes.add(code)
    with engine.connect() as conn:
        registry = models.CodeRecord.__table__
        issued = set(conn.execute(select(registry.c.code)).scalars())
        b = models.Building.__table__
        made = conn.execute(select(b.c.code, func.ST_AsBinary(b.c.geom)).where(
            b.c.code.in_(sorted(issued)))).all() if issued else []
        stored = set(conn.execute(select(b.c.code)).scalars())
        sequences = models.CodeSequence.__table__
        counters = dict(conn.execute(select(sequences.c.prefix, sequences.c.next_value).where(
            sequences.c.scheme == BUILDING.name)).all())
    skipped, behind = sequence_faults(issued, stored - issued, counters)
    footprints = np.asarray(shapely.from_wkb([bytes(g) for _, g in made]), dtype=object)
    groups = group_same_footprints(footprints, np.arange(len(made))) if made else {}
    twice = sum(1 for n in pd.Series(list(groups.values())).value_counts() if n > 1)
    split_rows = sum(1 for codes in codes_by_row.values() if len(codes) > 1)
    split_status = sum(1 for s in status_by_row.values() if len(s) > 1)
    print(f"buildings stored twice (new footprints overlapping ≥ 50%): {twice}")
    print(f"codes issued for no stored building: {len(issued) - len(made)}")
    print(f"building numbers skipped (holes, or a counter ahead): {skipped}")
    print(f"prefixes whose counter would hand a number out again: {behind}")
    print(f"input rows given different codes by different processes: {split_rows}")
    print(f"input rows 'new' in one run and 'existing' in another (whoever stored the "
          f"building first calls it new; informational): {split_status}")
    print(f"codes issued: {len(issued)}; new buildings stored: {len(made)}; distinct 'new' "
          f"codes in the outputs: {len(new_codes)}")
    engine.dispose()
    if os.environ.get("KEEP_DB") != "1":
        fresh_database(args.db, create=False)


if __name__ == "__main__":
    main()
