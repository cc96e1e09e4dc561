"""Writing many rows fast: COPY on PostGIS, one prepared INSERT on SpatiaLite.

Rows are dicts keyed by column name; `geom` holds a shapely geometry in CGCS2000, promoted
to the layer's multi-type where the column needs it. Callers own the transaction, so a
batch lands whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Column, Connection, Table
from sqlalchemy.exc import IntegrityError

from twin.dialects import StoreDialect
from twin.store import Store

_MULTI = {
    "MULTIPOLYGON": shapely.MultiPolygon,
    "MULTILINESTRING": shapely.MultiLineString,
    "MULTIPOINT": shapely.MultiPoint,
}


def promote(geom: BaseGeometry, column_type: str) -> BaseGeometry:
    """Wrap a single geometry in the multi-type a column is declared with."""
    multi = _MULTI.get(column_type.upper())
    if multi is not None and not isinstance(geom, multi):
        return multi([geom])
    return geom


def _geometry_type(table: Table) -> str | None:
    if "geom" not in table.c:
        return None
    return str(table.c.geom.type.geometry_type)  # type: ignore[attr-defined]


def insert_columns(table: Table, sample: dict[str, Any]) -> list[Column]:
    """Columns a bulk insert sets: those the rows carry plus those with a Python default."""
    return [
        c
        for c in table.columns
        if c.name in sample or (c.default is not None and not c.primary_key)
    ]


def _default(column: Column) -> Any:
    default = column.default
    if default is None:
        return None
    arg = default.arg  # type: ignore[attr-defined]
    return arg(None) if callable(arg) else arg


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert `rows` into `table` on the connection's transaction; returns the count."""
    if not rows:
        return 0
    # Rows of one batch may carry different keys (a road row has no door_no): take them all.
    columns = insert_columns(table, {key: None for row in rows for key in row})
    defaults = {c.name: _default(c) for c in columns}
    names = [c.name for c in columns]
    matrix = [[_plain(row[n] if n in row else defaults[n]) for n in names] for row in rows]
    dialect = Store.of(conn.engine).dialect
    if "geom" in names:
        _encode_geometry(matrix, names.index("geom"), _geometry_type(table) or "GEOMETRY",
                         dialect)
    try:
        dialect.write_rows(conn, table, names, matrix)
    except conn.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        # The raw driver bypasses SQLAlchemy's wrapping; give callers the usual exception.
        raise IntegrityError(f"bulk insert into {table.name}", None, exc) from exc
    return len(rows)


def _encode_geometry(matrix: list[list[Any]], at: int, column_type: str,
                     dialect: StoreDialect) -> None:
    """Replace shapely geometries in column `at` by what the store's bulk writer sends."""
    present = [i for i, row in enumerate(matrix) if row[at] is not None]
    geoms = [promote(matrix[i][at], column_type) for i in present]
    for i, value in zip(present, dialect.encode_geometries(geoms), strict=True):
        matrix[i][at] = value
