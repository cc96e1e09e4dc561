"""Instructions per geocoded address, counted by valgrind: a figure the machine's noise
does not move, for comparing two checkouts of the matcher.

    python bench/geocode_instructions.py [--per-class 60]

Runs itself under `valgrind --tool=callgrind`, counting only inside
`Geocoder.geocode_many` (the compiled matcher's C function, so build it first:
`python scripts/build_native.py`). The small sample city is indexed, the sound tables
are built and 640 other messy addresses warm the memos (none of that is counted); then
the messy addresses of every class (seed 3, repeats dropped) are geocoded once. The same
checkout gives the same count on any load; run two checkouts to compare them.
"""

from __future__ import annotations

import argparse
import gc
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from geocode_throughput import _dedupe, _round_robin, build, small_rows

from addressing.match import Geocoder
from sample_data.messy_addresses import messy_addresses

COUNTED = "CPyDef_match___Geocoder___geocode_many"


def geocode_once(per_class: int) -> int:
    """Geocode the measured addresses once, after the warm-up; how many there were."""
    rows = list(small_rows())
    index, _ = build(iter(rows), 1)
    geocoder = Geocoder(index)
    base = _dedupe(rows)
    texts = list(dict.fromkeys(
        m.text for m in _round_robin(messy_addresses(base, per_class=per_class, seed=3))))
    for m in messy_addresses(base, per_class=20, seed=4):
        geocoder.geocode(m.text)
    gc.freeze()
    geocoder.geocode_many(texts)
    return len(texts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=60)
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        print(f"addresses {geocode_once(args.per_class)}")
        return
    print(f"command: python {' '.join(sys.argv)}")
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={Path(tmp) / 'out'}",
             f"--toggle-collect={COUNTED}", sys.executable, __file__, "--inside",
             "--per-class", str(args.per_class)],
            capture_output=True, text=True, check=False)
    collected = re.search(r"Collected : (\d+)", run.stderr)
    addresses = re.search(r"addresses (\d+)", run.stdout)
    if run.returncode != 0 or collected is None or addresses is None:
        sys.exit(f"valgrind run failed (exit {run.returncode}): {run.stderr[-2000:]}")
    total, count = int(collected.group(1)), int(addresses.group(1))
    if total == 0:
        sys.exit(f"nothing counted inside {COUNTED}: is the native build current?")
    print(f"{count:,} messy addresses of the small sample: {total:,} instructions, "
          f"{total / count:,.0f} per address")


if __name__ == "__main__":
    main()
