"""The layers of the twin: what each table is called, shown, keyed and guarded by.

One registry serves import/export, the OGC collections and the map page, so a layer is
described once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Table

from twin import models
from twin.codes.check import uscc_check
from twin.divisions import level_of
from twin.errors import InvalidInput, NotFound

# A domain check on one coerced row: (field, reason) when the row is wrong.
RowCheck = Callable[[dict[str, Any]], tuple[str, str] | None]


def _check_division(row: dict[str, Any]) -> tuple[str, str] | None:
    code = str(row.get("code", ""))
    if len(code) != 12 or not code.isdigit():
        return "code", "a division code has 12 digits (NBS 统计用区划代码)"
    try:
        level = level_of(code)
    except InvalidInput as exc:
        return "code", str(exc)
    if row.get("level") and row["level"] != level.value:
        return "level", f"code {code} names a {level.value}, not a {row['level']}"
    return None


def _check_uscc(row: dict[str, Any]) -> tuple[str, str] | None:
    code = str(row.get("code", "")).upper()
    if len(code) != 18:
        return "code", "a unified social credit code has 18 characters (GB 32100)"
    try:
        expected = uscc_check(code[:17])
    except ValueError as exc:
        return "code", str(exc)
    if code[17] != expected:
        return "code", f"check character should be {expected} (GB 32100)"
    return None


@dataclass(frozen=True)
class Layer:
    """One layer (collection) of the twin."""

    name: str
    title: str
    description: str
    model: type[models.Base]
    geometry_type: str
    id_column: str = "code"
    # Fields shown only to callers with the `sensitive` scope (masked for everyone else).
    sensitive_fields: tuple[str, ...] = ()
    # Fields never served or exported (keyed hashes and the like).
    hidden_fields: tuple[str, ...] = ()
    # Column whose value is the feature's instant or start, and end (OGC `datetime`).
    temporal: tuple[str, str | None] | None = None
    # Columns filled by the system, not by an importer (ids, versions, times).
    system_fields: tuple[str, ...] = field(default=("id", "version", "updated_at"))
    # Domain rules an import applies to each row beyond types and constraints.
    check: RowCheck | None = None

    @property
    def table(self) -> Table:
        """The SQLAlchemy table behind the layer."""
        return self.model.__table__  # type: ignore[return-value]

    @property
    def geometry_column(self) -> Column:
        """The layer's geometry column."""
        return self.table.c.geom

    def attribute_columns(self, *, include_sensitive: bool = True) -> list[Column]:
        """Columns a client sees as feature properties (no geometry, no hidden fields)."""
        skip = {"geom", "id", *self.hidden_fields}
        if not include_sensitive:
            skip |= set(self.sensitive_fields)
        return [c for c in self.table.columns if c.name not in skip]

    def importable_columns(self) -> list[Column]:
        """Columns an import file may set."""
        skip = {"geom", *self.system_fields, *self.hidden_fields}
        return [c for c in self.table.columns if c.name not in skip]


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "admin_areas",
            "行政区划 Administrative areas",
            "NBS 2023 divisions from province to village/community, 12-digit codes.",
            models.AdminArea,
            "MultiPolygon",
            check=_check_division,
        ),
        Layer(
            "grids",
            "网格 Management grids",
            "Grid cells under a community, for grid-based city management.",
            models.Grid,
            "MultiPolygon",
        ),
        Layer(
            "roads",
            "街路巷 Roads",
            "Named roads, streets and lanes.",
            models.Road,
            "MultiLineString",
        ),
        Layer(
            "addresses",
            "标准地址 Standard addresses",
            "The standard address tree: road/compound, door, building, unit, floor, room.",
            models.Address,
            "Point",
            temporal=("valid_from", "valid_to"),
        ),
        Layer(
            "buildings",
            "实有房屋 Buildings",
            "Buildings with footprints, floors, height, use and unified building codes.",
            models.Building,
            "MultiPolygon",
        ),
        Layer(
            "houses",
            "实有房屋 Houses (units and rooms)",
            "Dwellings and offices inside buildings.",
            models.House,
            "Point",
        ),
        Layer(
            "people",
            "实有人口 People",
            "Registered residents. Names and phones are masked without the sensitive scope.",
            models.Person,
            "Point",
            sensitive_fields=("name", "phone", "birth_year"),
            hidden_fields=("id_hash",),
        ),
        Layer(
            "organizations",
            "实有单位 Organizations",
            "Organizations by unified social credit code.",
            models.Organization,
            "Point",
            check=_check_uscc,
        ),
        Layer(
            "city_objects",
            "部件 City components",
            "City components (manholes, lamps, hydrants …) and other city objects.",
            models.CityObject,
            "Geometry",
        ),
    )
}


def get_layer(name: str) -> Layer:
    """The layer called `name`, or raise NotFound listing the ones there are."""
    try:
        return LAYERS[name]
    except KeyError:
        raise NotFound(f"no layer {name!r}; layers are: {', '.join(LAYERS)}") from None
