"""Writing many rows fast: COPY on PostGIS, one prepared INSERT on SpatiaLite.

Rows are dicts keyed by column name; `geom` holds a shapely geometry in CGCS2000, promoted
to the layer's multi-type where the column needs it. Callers own the transaction, so a
batch lands whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Column, Connection, Table
from sqlalchemy.exc import IntegrityError

from twin.models import STORAGE_SRID

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
    if "geom" in names:
        _encode_geometry(
            matrix,
            names.index("geom"),
            _geometry_type(table) or "GEOMETRY",
            postgis=conn.dialect.name == "postgresql",
        )
    try:
        if conn.dialect.name == "postgresql":
            _copy(conn, table.name, names, matrix)
        else:
            _insert_sqlite(conn, table.name, names, matrix)
    except conn.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        # The raw driver bypasses SQLAlchemy's wrapping; give callers the usual exception.
        raise IntegrityError(f"bulk insert into {table.name}", None, exc) from exc
    return len(rows)


def _encode_geometry(matrix: list[list[Any]], at: int, column_type: str, *, postgis: bool) -> None:
    """Replace shapely geometries in column `at` by WKB (SpatiaLite) or hex EWKB (PostGIS)."""
    present = [i for i, row in enumerate(matrix) if row[at] is not None]
    geoms = [promote(matrix[i][at], column_type) for i in present]
    if postgis:
        encoded = shapely.to_wkb(shapely.set_srid(geoms, STORAGE_SRID), hex=True, include_srid=True)
    else:
        encoded = shapely.to_wkb(geoms)
    for i, value in zip(present, encoded, strict=True):
        matrix[i][at] = value


def _copy(conn: Connection, table: str, names: list[str], rows: Iterable[list[Any]]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        # PostGIS reads hex EWKB text as geometry input; everything else goes as text too.
        with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_text(v) for v in row])


def _text(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _insert_sqlite(conn: Connection, table: str, names: list[str], rows: list[list[Any]]) -> None:
    marks = [f"GeomFromWKB(?, {STORAGE_SRID})" if n == "geom" else "?" for n in names]
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)})"
    raw = conn.connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, [[_text(v) for v in row] for row in rows])
    finally:
        cursor.close()
