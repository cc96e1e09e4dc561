"""Loading the shipped division table into `admin_area`, and giving areas boundaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, Table, bindparam, func, select, update

from twin.bulk import promote, write_rows
from twin.divisions import load_divisions
from twin.models import STORAGE_SRID, AdminArea
from twin.store import Store

TABLE: Table = AdminArea.__table__  # type: ignore[assignment]


def install_divisions(engine: Engine) -> int:
    """Insert the NBS 2023 areas not yet in the store; returns how many were added."""
    with engine.begin() as conn:
        present = set(conn.execute(select(TABLE.c.code)).scalars())
        rows: list[dict[str, Any]] = [
            {
                "code": d.code,
                "name": d.name,
                "level": d.level.value,
                "parent_code": d.parent_code,
                "aliases": [],
            }
            for d in load_divisions()
            if d.code not in present
        ]
        # Parents sort before children by code, which keeps foreign keys satisfied.
        rows.sort(key=lambda r: str(r["code"]))
        write_rows(conn, TABLE, rows)
    return len(rows)


def set_boundaries(engine: Engine, boundaries: Mapping[str, BaseGeometry]) -> None:
    """Store the boundary of each area code given."""
    stmt = (
        update(TABLE)
        .where(TABLE.c.code == bindparam("b_code"))
        .values(geom=func.ST_GeomFromText(bindparam("b_wkt"), STORAGE_SRID))
    )
    with engine.begin() as conn, Store.of(engine).dialect.bulk(conn, TABLE):
        conn.execute(
            stmt,
            [
                {"b_code": code, "b_wkt": promote(g, "MULTIPOLYGON").wkt}
                for code, g in boundaries.items()
            ],
        )
