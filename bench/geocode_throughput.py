"""Batch geocoding throughput (addresses/s) and index memory at city scale.

    python bench/geocode_throughput.py [--scale city|small] [--queries 60000] [--workers 2]

`--scale small` indexes the generated small sample city (the same rows `twin load-sample`
writes). `--scale city` streams an address tree with the `city` sample's shape (9 townships
of 南山区, 74 roads each, 60 doors per road, 10–40 buildings per door, 3–7 floors, 2 rooms a
floor: ~10M room addresses, ~12M nodes) straight into the index builder, so the figure is
the index's own memory: peak RSS of the process is printed (the target is ≤ 3 GB).
Queries are messy forms of real addresses of the base (sample_data/messy_addresses.py
classes); throughput is measured single-process and with forked workers sharing the index.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any

from addressing.batch import geocode_values
from addressing.index import IndexBuilder
from addressing.match import Geocoder
from sample_data import generate
from sample_data.city import SIZES, short_name, townships
from sample_data.messy_addresses import messy_addresses
from sample_data.names import road_aliases, road_names
from twin.divisions import load_divisions

PREFIX = "广东省深圳市南山区"


def _cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


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


def build(rows: Iterator[dict[str, Any]], keep_every: int) -> tuple[Any, list[dict[str, Any]]]:
    """The index, and every `keep_every`-th room row with the rows above it.

    Rows stream depth first, so the path from the road down is all that is held.
    """
    builder = IndexBuilder()
    kept: list[dict[str, Any]] = []
    path: dict[str, dict[str, Any]] = {}
    depth = {"road": 0, "compound": 0, "door": 1, "building": 2, "unit": 3, "floor": 4,
             "room": 5}
    for n, row in enumerate(rows, start=1):
        builder.add(row, n)
        level = row["level"]
        if level != "room":
            path = {k: v for k, v in path.items() if depth[k] < depth[level]}
            path[level] = row
        elif n % keep_every == 0:
            kept.extend([row, *path.values()])
    return builder.build(), kept


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", choices=["small", "city"], default="small")
    ap.add_argument("--queries", type=int, default=60_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(f"command: python {' '.join(sys.argv)}")
    rss0 = peak_rss_mb()
    started = time.perf_counter()
    if args.scale == "small":
        rows = list(small_rows())
        index, kept = build(iter(rows), 1)
        kept = rows
    else:
        index, kept = build(city_rows(), 500)
    built = time.perf_counter() - started
    rooms = int((index.level == 6).sum())
    print(f"index: {len(index):,} nodes ({rooms:,} rooms), built in {built:,.1f} s; "
          f"arrays {index.memory_bytes() / 2**20:,.0f} MiB; peak RSS {peak_rss_mb():,.0f} MiB "
          f"(before building {rss0:,.0f} MiB)")
    geocoder = Geocoder(index)
    per_class = max(1, args.queries // 19)
    items = messy_addresses(_dedupe(kept), per_class=per_class, seed=3)
    queries = [i.text for i in items]
    queries = (queries * (args.queries // max(1, len(queries)) + 1))[: args.queries]
    print(f"queries: {len(queries):,} messy addresses of {len({i.difficulty for i in items})} "
          f"difficulty classes")
    geocode_values(geocoder, queries[:2000])  # warm the memo tables of the parser
    cores = len(os.sched_getaffinity(0))
    for workers in sorted({1, args.workers}):
        cpu0 = _cpu_seconds()
        started = time.perf_counter()
        results = geocode_values(geocoder, queries, workers=workers)
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu0
        matched = sum(r[0] == "matched" for r in results) / len(results)
        print(f"workers={workers}: {len(queries) / elapsed:,.0f} addresses/s wall "
              f"({elapsed:.2f} s; {matched:.1%} matched); {cpu / len(queries) * 1e6:.0f} µs "
              f"CPU per address = {len(queries) / cpu * min(workers, cores):,.0f}/s if "
              f"{min(workers, cores)} core(s) were free")
    print(f"load average while running: {os.getloadavg()[0]:.1f} on {cores} cores "
          "(other work on the machine slows the wall-clock figures)")
    print(f"peak RSS at the end: {peak_rss_mb():,.0f} MiB")
    print("targets: >= 15,000 addresses/s on 2 cores; city index <= 3 GB peak RSS")


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["code"], row)
    return list(seen.values())


if __name__ == "__main__":
    main()
