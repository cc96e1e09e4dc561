"""Synthetic buildings for the Features benchmarks: N footprints over the sample city's box.

A quicker stand-in for the `city` sample: buildings on a square lattice over 南山区
(113.88–114.00 E, 22.48–22.60 N, CGCS2000), each a jittered rectangle with a valid
23-character building code (township + year + sequence + 00000 + MOD 11-2), floors,
height, use and year. Written into the twin's own `building` table with COPY, so every
server under test reads the same rows through the same indexes.

    python bench/features_data.py --database twin_bench --buildings 200000
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, text  # noqa: E402

from twin.codes.check import mod11_2  # noqa: E402
from twin.settings import StoreSettings  # noqa: E402
from twin.store import migrate, open_store  # noqa: E402

CITY_BOX = (113.88, 22.48, 114.00, 22.60)
TOWNSHIPS = ("440305001", "440305002", "440305003", "440305005", "440305006",
             "440305007", "440305008", "440305009", "440305400")
USES = ("residential", "office", "commercial", "industrial", "school", "hospital")
COPY_COLUMNS = ("code", "name", "floors", "height", "use", "year_built", "status",
                "grid_code", "geom", "version")


@dataclass(frozen=True)
class SyntheticCity:
    """What was loaded: how many buildings and where to look for a dense bbox page."""

    buildings: int
    lattice: int  # buildings per row and column

    def bbox_for_matches(self, matches: int, origin: tuple[float, float] = (0.4, 0.4)) -> tuple:
        """A lon/lat box holding about `matches` buildings, its corner at `origin` of the city."""
        x0, y0, x1, y1 = CITY_BOX
        side = min(1.0, math.sqrt(matches / self.buildings))
        ox = x0 + origin[0] * (x1 - x0)
        oy = y0 + origin[1] * (y1 - y0)
        return (round(ox, 6), round(oy, 6),
                round(ox + side * (x1 - x0), 6), round(oy + side * (y1 - y0), 6))


def building_code(township: str, year: int, sequence: int) -> str:
    """A whole-building code: township(9) + year(4) + sequence(4) + 00000 + MOD 11-2."""
    body = f"{township}{year:04d}{sequence:04d}00000"
    return body + mod11_2(body)


def _rows(n: int, seed: int) -> tuple[int, io.StringIO]:
    rng = random.Random(seed)
    lattice = math.ceil(math.sqrt(n))
    x0, y0, x1, y1 = CITY_BOX
    dx, dy = (x1 - x0) / lattice, (y1 - y0) / lattice
    sequences: dict[tuple[str, int], int] = {}
    out = io.StringIO()
    for i in range(n):
        col, row = i % lattice, i // lattice
        township = TOWNSHIPS[(row * 3 // lattice) * 3 + (col * 3 // lattice)]
        year = rng.randint(1980, 2023)
        # 4 digits of sequence per (township, year); roll into the next year when full.
        while sequences.get((township, year), 0) >= 9999:
            year = 1980 + (year - 1979) % 44
        seq = sequences.get((township, year), 0) + 1
        sequences[(township, year)] = seq
        ax = x0 + col * dx + dx * rng.uniform(0.05, 0.25)
        ay = y0 + row * dy + dy * rng.uniform(0.05, 0.25)
        bx = ax + dx * rng.uniform(0.4, 0.65)
        by = ay + dy * rng.uniform(0.4, 0.65)
        floors = rng.choice((2, 3, 6, 6, 9, 11, 18, 18, 26, 33, 45))
        wkt = (f"SRID=4490;MULTIPOLYGON((({ax:.7f} {ay:.7f},{bx:.7f} {ay:.7f},"
               f"{bx:.7f} {by:.7f},{ax:.7f} {by:.7f},{ax:.7f} {ay:.7f})))")
        out.write("\t".join((
            building_code(township, year, seq), f"楼{i + 1}", str(floors),
            f"{floors * 3.1:.1f}", rng.choice(USES), str(year), "active",
            f"{township}G{row * 8 // lattice}{col * 8 // lattice}", wkt, "1",
        )) + "\n")
    out.seek(0)
    return lattice, out


def load_buildings(engine: Engine, n: int, seed: int = 20240601) -> SyntheticCity:
    """Replace the store's buildings (and what hangs off them) with `n` synthetic ones."""
    migrate(engine)
    lattice, rows = _rows(n, seed)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE building RESTART IDENTITY CASCADE"))
        raw = conn.connection.driver_connection
        with raw.cursor().copy(  # type: ignore[union-attr]
            f"COPY building ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        ) as copy:
            while chunk := rows.read(1 << 20):
                copy.write(chunk)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE building"))
    return SyntheticCity(buildings=n, lattice=lattice)


def existing_city(engine: Engine) -> SyntheticCity | None:
    """The synthetic city already in the store, if its size is what the building count says."""
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM building")).scalar_one()
    return SyntheticCity(buildings=n, lattice=math.ceil(math.sqrt(n))) if n else None


def ensure_database(name: str, host: str = "127.0.0.1", user: str = "postgres") -> str:
    """Create database `name` on the local PostGIS server if missing; return its URL."""
    admin = open_store(StoreSettings(database_url=f"postgresql+psycopg://{user}@{host}/postgres"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg://{user}@{host}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="twin_bench")
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    url = ensure_database(args.database)
    engine = open_store(StoreSettings(database_url=url))
    started = time.perf_counter()
    city = load_buildings(engine, args.buildings, args.seed)
    print(f"loaded {city.buildings:,} buildings into {url} in "
          f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
