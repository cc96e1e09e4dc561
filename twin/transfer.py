"""Import and export of layers: CSV, Excel, GeoJSON, GeoPackage and Shapefile.

Every value is read as text and coerced by the column's type, so codes keep their leading
zeros and a bad value is reported with its row, field and reason. An import writes all its
good rows in one transaction, or nothing: what the report says landed is what landed.
Row numbers are as a person sees them: spreadsheet rows (the header is row 1) for CSV and
Excel, feature numbers (from 1) for GIS files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    Engine,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from twin import sources
from twin.bulk import write_rows
from twin.crs import check_crs
from twin.errors import InvalidInput, RowProblem
from twin.layers import Layer, Level
from twin.models import STORAGE_SRID
from twin.placement import PlacementIndex
from twin.rows import check_geometry, convert_row, present, references

TABULAR = {".csv", ".xlsx", ".xls"}
GIS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile"}
Progress = Callable[[int, int], None]  # (rows done, rows total)


@dataclass
class ImportReport:
    """What an import read, wrote and refused."""

    layer: str
    path: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Rows written (inserted or updated)."""
        return self.inserted + self.updated

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.layer}: read {self.read} rows from {self.path}; inserted {self.inserted}, "
            f"updated {self.updated}, refused {len(self.problems)}"
        )


def _format_of(path: Path) -> str:
    sources.kind_of(path)
    return path.suffix.lower()


# -- reading ---------------------------------------------------------------------------------


@dataclass
class SourceTable:
    """A file's rows as text, with geometry (if any) already in CGCS2000."""

    records: list[dict[str, str | None]]
    geometries: list[BaseGeometry | None]
    first_row: int  # the row number people see for records[0]
    problems: list[RowProblem] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_source(path: Path, source_crs: str | None = None, sheet: str | None = None
                ) -> SourceTable:
    """Read a file (`twin.sources`) into text records and CGCS2000 geometries."""
    source = sources.read_source(path, crs=source_crs, sheet=sheet)
    attrs = source.frame
    if source.geometry_name in attrs and source.kind in sources.TABULAR:
        attrs = attrs.drop(columns=[source.geometry_name])
    records = [{str(k): _text(v) for k, v in row.items()} for row in attrs.to_dict("records")]
    problems = [source.problems[i] for i in sorted(source.problems)]
    return SourceTable(records, list(source.geoms), source.first_row, problems)


# -- conversion (twin.rows) ------------------------------------------------------------


def _shapefile_names(layer: Layer, keys: set[str]) -> dict[str, str]:
    """Map Shapefile's 10-character field names back to the layer's columns."""
    mapping = {}
    for column in layer.importable_columns():
        if column.name not in keys and column.name[:10] in keys:
            mapping[column.name[:10]] = column.name
    return mapping


def _rows(layer: Layer, table: SourceTable) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows converted by the one row model (twin.rows), with their row numbers; bad ones
    go to table.problems."""
    columns = {c.name for c in layer.importable_columns()}
    keys = set(table.records[0]) if table.records else set()
    rename = _shapefile_names(layer, keys)
    seen_codes: dict[str, int] = {}
    for i, (record, geom) in enumerate(zip(table.records, table.geometries, strict=True)):
        number = table.first_row + i
        if any(p.row == number for p in table.problems):
            continue
        given = {rename.get(k, k): v for k, v in record.items()}
        try:
            row = convert_row(layer, {k: v for k, v in given.items() if k in columns},
                              text=True)
            shape = check_geometry(layer, geom)
        except InvalidInput as exc:
            table.problems.append(RowProblem(number, exc.field, exc.value, str(exc)))
            continue
        if layer.id_column in row:
            code = str(row[layer.id_column])
            if code in seen_codes:
                table.problems.append(RowProblem(
                    number, layer.id_column, code, f"same code as row {seen_codes[code]}"))
                continue
            seen_codes[code] = number
        if shape is not None:
            row["geom"] = shape
        yield number, row


# -- importing -------------------------------------------------------------------------------


def _place_rows(
    engine: Engine, layer: Layer, rows: list[tuple[int, dict[str, Any]]],
    problems: list[RowProblem],
) -> list[tuple[int, dict[str, Any]]]:
    """落图 of every row with a geometry; rows whose given place it contradicts are refused."""
    columns = layer.place_columns
    index = PlacementIndex.from_store(engine)
    places = index.assign([r.get("geom") for _, r in rows])
    kept = []
    for (number, row), found in zip(rows, places.to_dict("records"), strict=True):
        if row.get("geom") is None:
            kept.append((number, row))
            continue
        values, wrong = index.reconcile(found, row["geom"], row, columns)
        if wrong:
            problems.extend(RowProblem(number, w.field, w.value, w.reason) for w in wrong)
            continue
        row.update(values)
        kept.append((number, row))
    return kept


def _check_references(
    engine: Engine, layer: Layer, rows: list[tuple[int, dict[str, Any]]], problems: list[RowProblem]
) -> list[tuple[int, dict[str, Any]]]:
    """Refuse rows that point at codes the store (or the file itself) does not have."""
    own = {str(r[layer.id_column]) for _, r in rows if layer.id_column in r}
    bad: set[int] = set()
    with engine.connect() as conn:
        for name, target in references(layer):
            wanted = {str(r[name]) for _, r in rows if r.get(name) is not None}
            if not wanted:
                continue
            self_ref = target.table is layer.table and target.name == layer.id_column
            missing = wanted - (own if self_ref else set())
            found = present(conn, target, sorted(missing))
            for number, row in rows:
                value = row.get(name)
                if value is not None and str(value) in missing - found and number not in bad:
                    bad.add(number)
                    problems.append(
                        RowProblem(
                            number,
                            name,
                            value,
                            f"no {target.table.name} with {target.name} {value}",
                        )
                    )
    return [(n, r) for n, r in rows if n not in bad]


def _existing_codes(engine: Engine, layer: Layer, codes: list[str]) -> set[str]:
    with engine.connect() as conn:
        return present(conn, layer.table.c[layer.id_column], codes)


def import_layer(
    engine: Engine,
    layer: Layer,
    path: Path | str,
    *,
    source_crs: str | None = None,
    update_existing: bool = False,
    progress: Progress | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Import a file into a layer: good rows land together, bad rows are reported."""
    path = Path(path)
    table = read_source(path, source_crs, sheet)
    report = ImportReport(layer.name, str(path), read=len(table.records))
    rows = list(_rows(layer, table))
    if layer.placed:
        rows = _place_rows(engine, layer, rows, table.problems)
    rows = _check_references(engine, layer, rows, table.problems)
    existing = _existing_codes(
        engine, layer, [str(r[layer.id_column]) for _, r in rows if layer.id_column in r]
    )
    inserts = [r for _, r in rows if str(r.get(layer.id_column)) not in existing]
    updates = [(n, r) for n, r in rows if str(r.get(layer.id_column)) in existing]
    if updates and not update_existing:
        for number, row in updates:
            table.problems.append(
                RowProblem(
                    number,
                    layer.id_column,
                    row[layer.id_column],
                    "already in the store (import with --update to change existing rows)",
                )
            )
        updates = []
    try:
        with engine.begin() as conn:
            _write(conn, layer, inserts, updates, progress, len(rows))
    except IntegrityError:
        # A rule only the store knows (a CHECK, a race on a code): find the rows it refuses
        # one by one, each in a savepoint, and land the rest.
        with engine.begin() as conn:
            inserts = _rows_the_store_takes(conn, layer, inserts, rows, table.problems)
            updates = [(n, r) for n, r in updates if not any(p.row == n for p in table.problems)]
            _write(conn, layer, [], updates, progress, len(rows))
    report.inserted, report.updated = len(inserts), len(updates)
    report.problems = sorted(table.problems, key=lambda p: p.row)
    if progress:
        progress(len(rows), len(rows))
    return report


def _write(
    conn: Any,
    layer: Layer,
    inserts: list[dict[str, Any]],
    updates: list[tuple[int, dict[str, Any]]],
    progress: Progress | None,
    total: int,
) -> None:
    for start in range(0, len(inserts), 20_000):
        batch = inserts[start : start + 20_000]
        write_rows(conn, layer.table, batch)
        if progress:
            progress(start + len(batch), total)
    for _, row in updates:
        _update_row(conn, layer, row)


def _rows_the_store_takes(
    conn: Any,
    layer: Layer,
    inserts: list[dict[str, Any]],
    numbered: list[tuple[int, dict[str, Any]]],
    problems: list[RowProblem],
) -> list[dict[str, Any]]:
    number_of = {id(r): n for n, r in numbered}
    taken = []
    for row in inserts:
        try:
            with conn.begin_nested():
                write_rows(conn, layer.table, [row])
            taken.append(row)
        except IntegrityError as exc:
            reason = str(exc.orig).splitlines()[0]
            problems.append(
                RowProblem(number_of[id(row)], None, None, f"refused by the store: {reason}")
            )
    return taken


def _update_row(conn: Any, layer: Layer, row: dict[str, Any]) -> None:
    table = layer.table
    values: dict[str, Any] = {k: v for k, v in row.items() if k not in {"geom", layer.id_column}}
    if "geom" in row:
        values["geom"] = func.ST_GeomFromWKB(bindparam("g_wkb"), STORAGE_SRID)
    values["version"] = table.c.version + 1
    values["updated_at"] = func.current_timestamp()
    stmt = update(table).where(table.c[layer.id_column] == row[layer.id_column]).values(values)
    conn.execute(stmt, {"g_wkb": shapely.to_wkb(row["geom"])} if "geom" in row else {})


# -- exporting -------------------------------------------------------------------------------


def read_layer(
    engine: Engine, layer: Layer, *, clearance: Level = Level.internal
) -> gpd.GeoDataFrame:
    """A layer as a GeoDataFrame in CGCS2000, the fields `clearance` withholds left out (by
    default the 敏感 ones: whoever runs an export is known, but the file travels)."""
    columns = layer.attribute_columns(clearance)
    order = layer.table.c.id if "id" in layer.table.c else layer.table.c[layer.id_column]
    stmt = select(*columns, func.ST_AsBinary(layer.geometry_column).label("wkb")).order_by(order)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in columns] + ["wkb"])
    wkb = frame.pop("wkb")
    geometry = shapely.from_wkb([bytes(b) if b is not None else None for b in wkb])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=f"EPSG:{STORAGE_SRID}")


def _as_file_values(frame: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """JSON as text, dates and times as ISO 8601 text: what every file format can hold."""
    for column in layer.table.columns:
        if isinstance(column.type, JSON) and column.name in frame:
            frame[column.name] = [json.dumps(v, ensure_ascii=False) for v in frame[column.name]]
    for name in frame.columns:
        if name == "geometry":
            continue
        if pd.api.types.is_datetime64_any_dtype(frame[name]) or any(
            isinstance(v, date) for v in frame[name].head(50)
        ):
            frame[name] = [v.isoformat() if isinstance(v, date) else v for v in frame[name]]
    return frame


def export_layer(
    engine: Engine,
    layer: Layer,
    path: Path | str,
    *,
    target_crs: str | None = None,
    clearance: Level = Level.internal,
) -> int:
    """Write a layer to a file; the format follows the file's suffix. Returns the row count."""
    path = Path(path)
    suffix = _format_of(path)
    target = check_crs(target_crs) if target_crs else None
    frame = _as_file_values(read_layer(engine, layer, clearance=clearance), layer)
    if target is not None:
        frame = frame.to_crs(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in TABULAR:
        table = pd.DataFrame(frame.drop(columns="geometry"))
        if layer.geometry_type == "Point":
            table["lon"], table["lat"] = frame.geometry.x, frame.geometry.y
        else:
            table["wkt"] = shapely.to_wkt(frame.geometry.values, rounding_precision=-1)
        if suffix == ".csv":
            table.to_csv(path, index=False, encoding="utf-8-sig")
        else:
            sources.check_excel_cells(table, path)
            table.to_excel(path, index=False)
    else:
        if path.exists():
            path.unlink()
        if suffix == ".shp":
            # dBase field names hold 10 characters; import maps them back.
            frame = frame.rename(columns={c: c[:10] for c in frame.columns if c != "geometry"})
        frame.to_file(
            path,
            driver=GIS[suffix],
            engine="pyogrio",
            layer=layer.name if suffix == ".gpkg" else None,
        )
    return len(frame)
