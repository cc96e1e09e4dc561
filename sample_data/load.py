"""Writing the sample city into a store, road by road, each road in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, func, select

from sample_data.city import SIZES, admin_geometries, generate, townships
from twin.admin_areas import install_divisions, set_boundaries
from twin.bulk import write_rows
from twin.errors import Conflict
from twin.layers import LAYERS
from twin.store import Store

# Layers in the order foreign keys need them.
LOAD_ORDER = [
    "roads",
    "addresses",
    "buildings",
    "houses",
    "people",
    "organizations",
    "city_objects",
]
Progress = Callable[[str, int, int], None]  # (township code, roads done, roads in all)


@dataclass
class LoadReport:
    """What a sample load wrote."""

    size: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)


def clear(engine: Engine) -> None:
    """Remove every object of the twin (keeps the division table and the code registry)."""
    dialect = Store.of(engine).dialect
    with engine.begin() as conn:
        for name in reversed(["grids", *LOAD_ORDER]):
            table = LAYERS[name].table
            with dialect.bulk(conn, table):  # one change noted per table, not one per row
                conn.execute(delete(table))


def _object_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            conn.execute(select(func.count()).select_from(LAYERS[name].table)).scalar() or 0
            for name in ["grids", *LOAD_ORDER]
        )


def load(
    engine: Engine,
    size: str = "small",
    seed: int = 2023,
    *,
    secret: bytes = b"sample",
    replace: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Load the sample city of `size` into an initialised store."""
    if size not in SIZES:
        raise ValueError(f"unknown sample size {size!r}; sizes are {', '.join(SIZES)}")
    existing = _object_count(engine)
    if existing and not replace:
        raise Conflict(
            f"the store already holds {existing} objects; load with replace=True "
            "(`twin load-sample --replace`) to start over"
        )
    if existing:
        clear(engine)
    install_divisions(engine)
    boundaries, grids = admin_geometries()
    set_boundaries(engine, boundaries)
    report = LoadReport(size, seed, {"grids": len(grids)})
    with engine.begin() as conn:
        write_rows(conn, LAYERS["grids"].table, grids)
    total = SIZES[size].roads_per_township * len(townships())  # one chunk per road
    for done, chunk in enumerate(generate(size, seed, secret), start=1):
        with engine.begin() as conn:
            for name in LOAD_ORDER:
                rows = chunk.rows.get(name, [])
                for start in range(0, len(rows), 50_000):
                    write_rows(conn, LAYERS[name].table, rows[start : start + 50_000])
                report.counts[name] = report.counts.get(name, 0) + len(rows)
        if progress:
            progress(chunk.township, done, total)
    return report
