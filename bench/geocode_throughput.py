"""Batch geocoding throughput (addresses/s) and index memory at city scale.

    python bench/geocode_throughput.py [--scale city|small] [--queries 60000] [--workers 2]
    python bench/geocode_throughput.py --scale city --database-url URL [--reload]

`--scale small` indexes the generated small sample city (the same rows `twin load-sample`
writes). `--scale city` streams an address tree with the `city` sample's shape (9 townships
of 南山区, 74 roads each, 60 doors per road, 10–40 buildings per door, 3–7 floors, 2 rooms a
floor: ~10M room addresses, ~16M nodes) straight into the index builder, so the figure is
the index's own memory: peak RSS of the process is printed (the target is ≤ 3 GB).
With `--database-url` (PostGIS) the index is built the way the service builds it,
`build_index(engine)`, streaming the store's `address` table level by level through COPY,
and the queries are drawn from what the store holds (every 500th room
with its ancestors). A store that holds a loaded sample city (`bench/sample_city.py`) is
used as it is; an empty one first gets the city-shaped tree by COPY (`--reload` replaces
what is there with it).
Queries are messy forms of real addresses of the base (sample_data/messy_addresses.py
classes); throughput is measured single-process and with forked workers sharing the index,
each run in a fresh fork of the warmed process (median of `--repeat` runs), and once more
with the batch's dedupe of repeated addresses (the headline figures match every row).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from itertools import zip_longest
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from store_addresses import rooms_with_ancestors

from addressing.base_reader import build_index
from addressing.batch import geocode_values
from addressing.index import IndexBuilder
from addressing.match import Geocoder
from sample_data import generate
from sample_data.city import SIZES, short_name, townships
from sample_data.messy_addresses import CLASSES, MessyAddress, messy_addresses
from sample_data.names import road_aliases, road_names
from twin.admin_areas import install_divisions
from twin.divisions import load_divisions
from twin.settings import StoreSettings
from twin.store import migrate, open_store

PREFIX = "广东省深圳市南山区"


def _cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _page_faults() -> int:
    """Minor page faults so far (in forked workers: mostly pages of the index copied on write)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def small_rows() -> Iterator[dict[str, Any]]:
    for chunk in generate("small"):
        for row in chunk.rows["addresses"]:
            row = dict(row)
            point = row.pop("geom")
            row["lon"], row["lat"] = point.x, point.y
            yield row


def city_rows(seed: int = 2023) -> Iterator[dict[str, Any]]:
    """An address tree shaped like the `city` sample, streamed level by level per door."""
    spec = SIZES["city"]
    rng = random.Random(seed)
    towns = townships()
    table = load_divisions()
    roads = road_names(rng, spec.roads_per_township * len(towns))
    for t, town in enumerate(towns):
        communities = sorted(table.children(town.code), key=lambda d: d.code)
        town_text = PREFIX + town.name
        for r in range(spec.roads_per_township):
            road = roads[t * spec.roads_per_township + r]
            road_code = f"{town.code}{r + 1:04d}{0:010d}"
            base = {"county_code": "440305000000", "township_code": town.code}
            x0, y0 = 113.88 + t * 0.01, 22.48 + r * 0.001
            yield {**base, "code": road_code, "parent_code": None, "level": "road",
                   "value": road, "full_text": town_text + road, "community_code": None,
                   "road": road, "aliases": road_aliases(road), "lon": x0, "lat": y0}
            seq: dict[str, int] = {}
            for d in range(spec.doors_per_road):
                community = communities[(r + d) % len(communities)]
                key = community.code
                seq[key] = seq.get(key, 0) + 1
                door_no = f"{2 * d + 1}号"
                door_code = f"{community.code}{r + 1:04d}{seq[key]:04d}{0:06d}"
                compound = f"{road[:2]}花园{d + 1}期" if rng.random() < 0.9 else None
                door_text = (town_text + short_name(community) + road + door_no
                             + (compound or ""))
                common = {**base, "community_code": community.code, "road": road,
                          "door_no": door_no, "compound": compound}
                lon, lat = x0 + d * 0.0002, y0
                yield {**common, "code": door_code, "parent_code": road_code, "level": "door",
                       "value": door_no, "full_text": door_text,
                       "aliases": [compound] if compound else [], "lon": lon, "lat": lat}
                for b in range(rng.randint(*spec.buildings_per_door)):
                    seq[key] += 1
                    code20 = f"{community.code}{r + 1:04d}{seq[key]:04d}"
                    label = f"{b + 1}栋"
                    b_code, b_text = code20 + "000000", door_text + label
                    yield {**common, "code": b_code, "parent_code": door_code,
                           "level": "building", "value": label, "full_text": b_text,
                           "building": label, "aliases": [], "lon": lon, "lat": lat + b * 1e-5}
                    sub = 0
                    for f in range(1, rng.randint(*spec.floors) + 1):
                        sub += 1
                        f_code, floor = f"{code20}{sub:06d}", f"{f}层"
                        yield {**common, "code": f_code, "parent_code": b_code,
                               "level": "floor", "value": floor, "full_text": b_text + floor,
                               "building": label, "floor": floor, "aliases": [],
                               "lon": lon, "lat": lat}
                        for k in range(1, spec.rooms_per_floor + 1):
                            sub += 1
                            room = f"{f}{k:02d}室"
                            yield {**common, "code": f"{code20}{sub:06d}",
                                   "parent_code": f_code, "level": "room", "value": room,
                                   "full_text": b_text + room, "building": label,
                                   "floor": floor, "room": room, "aliases": [],
                                   "lon": lon, "lat": lat}


def sampled(
    rows: Iterator[dict[str, Any]], keep_every: int, kept: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Pass rows through, keeping every `keep_every`-th room row with the rows above it.

    Rows stream depth first, so the path from the road down is all that is held.
    """
    path: dict[str, dict[str, Any]] = {}
    depth = {"road": 0, "compound": 0, "door": 1, "building": 2, "unit": 3, "floor": 4,
             "room": 5}
    for n, row in enumerate(rows, start=1):
        yield row
        level = row["level"]
        if level != "room":
            path = {k: v for k, v in path.items() if depth[k] < depth[level]}
            path[level] = row
        elif n % keep_every == 0:
            kept.extend([row, *path.values()])


def build(rows: Iterator[dict[str, Any]], keep_every: int) -> tuple[Any, list[dict[str, Any]]]:
    """The index, and every `keep_every`-th room row with the rows above it."""
    builder = IndexBuilder()
    kept: list[dict[str, Any]] = []
    for n, row in enumerate(sampled(rows, keep_every, kept), start=1):
        builder.add(row, n)
    return builder.build(), kept


COPY_COLUMNS = ("code", "parent_code", "level", "value", "full_text", "county_code",
                "township_code", "community_code", "road", "door_no", "compound", "building",
                "unit", "floor", "room", "aliases", "status", "geom", "version")


def _copy_line(row: dict[str, Any]) -> str:
    # COPY text format; the generated values hold no tab, newline or backslash.
    values = [row.get(c) for c in COPY_COLUMNS[:15]]
    return "\t".join(r"\N" if v is None else v for v in values) + (
        f"\t{json.dumps(row['aliases'], ensure_ascii=False)}\tactive"
        f"\tSRID=4490;POINT({row['lon']!r} {row['lat']!r})\t1\n")


def ensure_store(url: str) -> Engine:
    """The migrated store at `url` (its database created when missing), divisions installed."""
    name = make_url(url).database
    admin = open_store(StoreSettings(database_url=str(make_url(url).set(database="postgres"))))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    install_divisions(engine)
    return engine


def load_city(engine: Engine, reload: bool) -> int:
    """COPY the city-shaped tree into `address` unless it is there; returns the row count."""
    with engine.connect() as conn:
        present = conn.execute(text("SELECT count(*) FROM address")).scalar_one()
    if present and not reload:
        print(f"store: {present:,} address rows already loaded (--reload replaces them)")
        return int(present)
    started = time.perf_counter()
    n = 0
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE address CASCADE"))
        # The generator writes parents before children and the index builder refuses a
        # missing parent, so the per-row foreign-key triggers are skipped for the load.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        raw = conn.connection.driver_connection
        with raw.cursor().copy(  # type: ignore[union-attr]
            f"COPY address ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        ) as copy:
            lines: list[str] = []
            for row in city_rows():
                n += 1
                lines.append(_copy_line(row))
                if len(lines) == 20_000:
                    copy.write("".join(lines))
                    lines = []
            copy.write("".join(lines))
    loaded = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE address"))
    print(f"store: COPYed {n:,} address rows in {loaded:,.0f} s ({n / loaded:,.0f} rows/s); "
          f"vacuum+analyze {time.perf_counter() - started - loaded:,.0f} s")
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", choices=["small", "city"], default="small")
    ap.add_argument("--queries", type=int, default=60_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="runs per figure (median)")
    ap.add_argument("--database-url", help="PostGIS URL: build the city index from this store")
    ap.add_argument("--reload", action="store_true", help="replace the store's address rows")
    args = ap.parse_args()
    print(f"command: python {' '.join(sys.argv)}")
    if args.database_url and args.scale != "city":
        ap.error("--database-url goes with --scale city")
    engine = None
    if args.database_url:
        engine = ensure_store(args.database_url)
        load_city(engine, args.reload)
    rss0 = peak_rss_mb()
    started = time.perf_counter()
    if args.scale == "small":
        rows = list(small_rows())
        index, kept = build(iter(rows), 1)
        kept = rows
    elif engine is not None:
        index = build_index(engine)
        kept = []
    else:
        index, kept = build(city_rows(), 500)
    built = time.perf_counter() - started
    rooms = int((index.level == 6).sum())
    print(f"index: {len(index):,} nodes ({rooms:,} rooms), built in {built:,.1f} s; "
          f"arrays {index.memory_bytes() / 2**20:,.0f} MiB; peak RSS {peak_rss_mb():,.0f} MiB "
          f"(before building {rss0:,.0f} MiB)" + (" from the store" if engine else ""))
    if engine is not None:
        kept = rooms_with_ancestors(engine, 500)
    geocoder = Geocoder(index)
    rows_for_queries = _dedupe(kept)
    # Every class drawn evenly: the generator writes class after class, so the rows are
    # dealt round-robin before the list is cut to --queries.
    per_class = max(1, -(-args.queries // len(CLASSES)))
    items = _round_robin(messy_addresses(rows_for_queries, per_class=per_class, seed=3))
    items = (items * (args.queries // max(1, len(items)) + 1))[: args.queries]
    queries = [i.text for i in items]
    mix = Counter(i.difficulty for i in items)
    print(f"queries: {len(queries):,} messy addresses of {len(mix)} difficulty classes "
          f"({min(mix.values()):,}–{max(mix.values()):,} each); "
          f"{len(set(queries)):,} distinct texts")
    # Warm the parser's tables on other messy forms (seed 4), not on the measured ones.
    warm = messy_addresses(rows_for_queries, per_class=max(1, 2000 // len(CLASSES)), seed=4)
    geocode_values(geocoder, [i.text for i in warm][:2000])
    cores = len(os.sched_getaffinity(0))
    runs = [(w, False) for w in sorted({1, args.workers})] + [(args.workers, True)]
    for workers, dedupe in runs:
        timed = [_timed(geocoder, queries, workers, dedupe) for _ in range(args.repeat)]
        elapsed = statistics.median(t[0] for t in timed)
        cpu = statistics.median(t[1] for t in timed)
        matched, distinct = timed[0][2], timed[0][3]
        faults = statistics.median(t[4] for t in timed)
        label = f"workers={workers}" + (", dedupe" if dedupe else "")
        print(f"{label}: {len(queries) / elapsed:,.0f} addresses/s wall (median of "
              f"{len(timed)}: {', '.join(f'{t[0]:.2f}' for t in timed)} s; {matched:.1%} "
              f"matched); {cpu / len(queries) * 1e6:.0f} µs CPU per address = "
              f"{len(queries) / cpu * min(workers, cores):,.0f}/s if {min(workers, cores)} "
              f"core(s) were free; {faults / len(queries):.1f} page faults per address"
              + (f"; {distinct:,} rows differ" if distinct else ""))
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {cores} cores "
          "(other work on the machine slows the wall-clock figures)")
    print(f"peak RSS at the end: {peak_rss_mb():,.0f} MiB")
    print("targets (issue 16): >= 20,000 addresses/s compiled on 2 cores, distinct queries; "
          "city index <= 3 GB peak RSS")


_REFERENCE: list[tuple[Any, ...]] = []  # the rows of the first run, to check the others by


def _timed(
    geocoder: Geocoder, queries: list[str], workers: int, dedupe: bool
) -> tuple[float, float, float, int, int]:
    """Wall and CPU seconds of one batch, its matched share, rows unlike the first run's and
    minor page faults.

    Each run is a forked child of the warmed process, so no run finds the memo tables of
    another run (or of an earlier run on the same queries) filled.
    """
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def run() -> None:
        cpu0, faults0 = _cpu_seconds(), _page_faults()
        started = time.perf_counter()
        results = geocode_values(geocoder, queries, workers=workers, dedupe=dedupe)
        elapsed = time.perf_counter() - started
        cpu, faults = _cpu_seconds() - cpu0, _page_faults() - faults0
        matched = sum(r[0] == "matched" for r in results) / len(results)
        differ = sum(a != b for a, b in zip(results, _REFERENCE, strict=False))
        send.send((elapsed, cpu, matched, differ, faults,
                   results if not _REFERENCE else None))

    child = ctx.Process(target=run)
    child.start()
    elapsed, cpu, matched, differ, faults, results = receive.recv()
    child.join()
    if results is not None:
        _REFERENCE.extend(results)
    return elapsed, cpu, matched, differ, faults


def _round_robin(items: list[MessyAddress]) -> list[MessyAddress]:
    """The items dealt one class at a time, so any prefix holds every class evenly."""
    by_class: dict[str, list[MessyAddress]] = {}
    for item in items:
        by_class.setdefault(item.difficulty, []).append(item)
    out: list[MessyAddress] = []
    for group in zip_longest(*by_class.values()):
        out.extend(i for i in group if i is not None)
    return out


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["code"], row)
    return list(seen.values())


if __name__ == "__main__":
    main()
