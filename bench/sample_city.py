"""How long the sample city takes to build into a store, and how much disk it takes.

    python bench/sample_city.py --size city --database-url postgresql+psycopg://postgres@127.0.0.1/twin_city
    python bench/sample_city.py --size city --database-url sqlite:////tmp/twin_city.db

The database is wiped first (`replace`). Prints rows per layer, wall time, rows/s, the
peak RSS of this process and the store's size on disk.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from sqlalchemy import text

import sample_data
from twin.admin_areas import install_divisions
from twin.settings import StoreSettings
from twin.store import Store, migrate, open_store


def store_bytes(engine, url: str) -> int:
    if Store.of(engine).dialect.name == "postgis":
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    path = Path(url.split("///", 1)[1])
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="city")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    engine = open_store(StoreSettings(database_url=args.database_url))
    migrate(engine)
    install_divisions(engine)
    start = time.perf_counter()
    last = [start]

    def progress(_town: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 30 or done == total:
            print(f"  {done}/{total} roads, {now - start:.0f} s", flush=True)
            last[0] = now

    report = sample_data.load(engine, args.size, args.seed, replace=True, progress=progress)
    seconds = time.perf_counter() - start
    if Store.of(engine).dialect.name == "postgis":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    rows = sum(report.counts.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sample city '{args.size}' (seed {args.seed}) into {engine.dialect.name}")
    for name, n in report.counts.items():
        print(f"  {name:14s} {n:>12,}")
    print(f"  {'all rows':14s} {rows:>12,}")
    print(f"wall time {seconds:,.0f} s, {rows / seconds:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB, "
          f"store on disk {store_bytes(engine, args.database_url) / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
