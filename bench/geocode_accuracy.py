"""Accuracy of the geocoder on the sample city's messy address set, by difficulty class.

    python bench/geocode_accuracy.py [--size small] [--per-class 300] [--seed 7]
    python bench/geocode_accuracy.py --database-url URL [--every 100]

Builds the address index from the generated sample city (the same rows `twin load-sample`
writes), makes the messy set with known truth (sample_data/messy_addresses.py) and prints,
per class: rows, correct at the finest level typed, false matches, and the statuses seen.
With `--database-url` the index is the store's whole address base (say the `city` sample
loaded by `bench/sample_city.py`: 16.7M nodes, so many more names to confuse), and the
messy set is made from every road and door and the whole subtree of every `--every`-th door.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict

from store_addresses import doors_with_subtrees

from addressing.base_reader import build_index
from addressing.index import index_from_rows
from addressing.match import Geocoder
from sample_data import generate
from sample_data.messy_addresses import CLASSES, NEGATIVE, messy_addresses
from twin.settings import StoreSettings
from twin.store import open_store


def sample_rows(size: str, seed: int):
    for chunk in generate(size, seed):
        for row in chunk.rows["addresses"]:
            row = dict(row)
            point = row.pop("geom")
            row["lon"], row["lat"] = point.x, point.y
            yield row


def judge(item, result, index_codes_above):
    """(correct, false_match) for one result."""
    if item.expected == "tie":
        ok = result.status == "tie" and item.truth_code in {c.code for c in result.candidates}
        false = result.status == "matched" and result.code != item.truth_code
        return ok, false
    if item.truth_code is None:  # no such road: nothing at street level may be returned
        street = result.code is not None and len(result.code) > 12
        return (not street and result.status != "matched"), street
    ok = result.status == item.expected and result.code == item.truth_code
    false = (result.status in ("matched", "partial") and result.code is not None
             and len(result.code) > 12 and result.code not in index_codes_above(item.truth_code))
    return ok, false


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="small")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--per-class", type=int, default=300)
    ap.add_argument("--messy-seed", type=int, default=7)
    ap.add_argument("--show", type=int, default=0, help="print this many failures per class")
    ap.add_argument("--database-url", help="index this store's address base instead")
    ap.add_argument("--every", type=int, default=100, help="with --database-url: doors kept")
    args = ap.parse_args()
    if args.database_url:
        engine = open_store(StoreSettings(database_url=args.database_url))
        started = time.perf_counter()
        index = build_index(engine)
        print(f"index of the store: {len(index):,} nodes in {time.perf_counter() - started:.0f} s")
        rows = doors_with_subtrees(engine, args.every)
        engine.dispose()
    else:
        rows = list(sample_rows(args.size, args.seed))
        index = index_from_rows(rows)
    parents = {r["code"]: r.get("parent_code") for r in rows}

    def above(code):
        out = {code}
        while parents.get(code):
            code = parents[code]
            out.add(code)
        return out

    geocoder = Geocoder(index)
    items = messy_addresses(rows, per_class=args.per_class, seed=args.messy_seed)
    started = time.perf_counter()
    results = [geocoder.geocode(item.text) for item in items]
    elapsed = time.perf_counter() - started
    by_class = defaultdict(lambda: [0, 0, 0, Counter()])
    failures = defaultdict(list)
    for item, result in zip(items, results, strict=True):
        ok, false = judge(item, result, above)
        stats = by_class[item.difficulty]
        stats[0] += 1
        stats[1] += ok
        stats[2] += false
        stats[3][result.status] += 1
        if not ok:
            failures[item.difficulty].append((item, result))
    print(f"command: python {' '.join(sys.argv)}")
    base = "the store's" if args.database_url else f"sample size {args.size!r}"
    print(f"address base: {len(index):,} nodes ({base}; truth from {len(rows):,} rows); "
          f"messy rows: {len(items)}; {len(items) / elapsed:,.0f} rows/s single process")
    print(f"{'class':<18}{'rows':>6}{'correct':>10}{'false':>8}  statuses")
    totals = [0, 0, 0]
    for klass in CLASSES:
        n, ok, false, statuses = by_class[klass]
        if not n:
            continue
        totals = [totals[0] + n, totals[1] + ok, totals[2] + false]
        tag = " (negative)" if klass in NEGATIVE else ""
        print(f"{klass:<18}{n:>6}{ok / n:>9.1%}{false / n:>8.1%}  {dict(statuses)}{tag}")
        for item, result in failures[klass][: args.show]:
            print(f"    {item.text!r} want {item.expected} {item.truth_code}")
            print(f"      got {result.status} {result.code} {result.score} {result.reason}")
    n, ok, false = totals
    print(f"{'ALL':<18}{n:>6}{ok / n:>9.1%}{false / n:>8.1%}")
    print("targets: correct at the finest level >= 98%, false matches <= 0.5%")


if __name__ == "__main__":
    main()
