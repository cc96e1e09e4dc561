"""One row model: a value from a file (text) or a request (JSON) as its column's type.

Every path that writes a row converts and validates it here, with one set of rules: an
import (`twin.transfer`), an API write (`twin.editing`), batch coding (`twin.registry_coding`) and
the pygeoapi provider's property filters. A value is refused with an `InvalidInput` that
names the field and the value; an import adds the row number (`RowProblem`).

The rules, by column type:
    boolean   true/false, 1/0, yes/no, 是/否 (JSON: true/false)
    integer   a whole number ("12", "12.0"; JSON 12); not 12.5, not true
    number    a finite number ("19.5"; JSON 19.5 or 19)
    date      ISO 8601 date ("2024-05-01"; a date-time at midnight, as Excel writes dates)
    datetime  ISO 8601 date-time ("2024-05-01T08:00:00+08:00", "Z" allowed)
    json      JSON text ("[…]", "{…}") or a list separated by ; (JSON: any value)
    text      at most the column's length; a JSON number is not text
Then for every row: what the table's CHECK constraints allow (IN lists such as status and
level, lower bounds such as floors > 0), required
columns present, the layer's own check (division codes, GB 32100); and for geometries:
the layer's geometry type, not empty, valid, inside China once in CGCS2000.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, Boolean, Column, Connection, Date, DateTime, Float, Integer, select

from twin.bulk import promote
from twin.errors import InvalidFields, InvalidInput
from twin.layers import Layer

# CGCS2000 lon/lat box around China and its seas: coordinates outside are a CRS mistake.
CHINA = (70.0, 0.0, 140.0, 56.0)
TRUE_WORDS = frozenset({"1", "true", "yes", "是"})
FALSE_WORDS = frozenset({"0", "false", "no", "否"})
# Geometry types a layer of each declared type takes (single ones are promoted to multi).
GEOMETRY_FAMILY = {"MultiPolygon": ("Polygon", "MultiPolygon"),
                   "MultiLineString": ("LineString", "MultiLineString"),
                   "Point": ("Point",)}


class ColumnKind(StrEnum):
    """What a column holds, as the row model converts it."""

    boolean = "boolean"
    integer = "integer"
    number = "number"
    date = "date"
    datetime = "datetime"
    json = "json"
    text = "text"


# Column types in the order they are told apart (DateTime before Date: one derives the other).
TYPE_KINDS: tuple[tuple[type, ColumnKind], ...] = (
    (Boolean, ColumnKind.boolean), (Integer, ColumnKind.integer), (Float, ColumnKind.number),
    (DateTime, ColumnKind.datetime), (Date, ColumnKind.date), (JSON, ColumnKind.json),
)


def kind_of(column: Column) -> ColumnKind:
    """The kind of value `column` holds."""
    return next((kind for sql_type, kind in TYPE_KINDS if isinstance(column.type, sql_type)),
                ColumnKind.text)


def json_schema(column: Column) -> dict[str, Any]:
    """The JSON Schema of a column's values (queryables, the pygeoapi provider's fields)."""
    kind = kind_of(column)
    schema: dict[str, Any] = {
        ColumnKind.boolean: {"type": "boolean"},
        ColumnKind.integer: {"type": "integer"},
        ColumnKind.number: {"type": "number"},
        ColumnKind.date: {"type": "string", "format": "date"},
        ColumnKind.datetime: {"type": "string", "format": "date-time"},
        ColumnKind.json: {"type": _json_type(column)},
        ColumnKind.text: {"type": "string"},
    }[kind]
    schema = dict(schema)
    length = getattr(column.type, "length", None)
    if kind is ColumnKind.text and length:
        schema["maxLength"] = length
    allowed = allowed_values(column)
    if allowed:
        schema["enum"] = list(allowed)
    return schema


def _json_type(column: Column) -> str:
    # A JSON column defaults to an empty list (aliases) or an empty object (attributes).
    made = getattr(getattr(column.default, "arg", None), "__wrapped__", None)
    return "array" if made is list else "object"


@cache
def allowed_values(column: Column) -> tuple[str, ...] | None:
    """The values a `CHECK (name IN (…))` constraint allows the column, if it has one."""
    head = f"{column.name} IN ("
    for constraint in column.table.constraints:
        sql = str(getattr(constraint, "sqltext", ""))
        if sql.startswith(head) and sql.endswith(")"):
            return tuple(v.strip(" '") for v in sql[len(head) : -1].split(","))
    return None


def _bad(column: Column, what: str, value: object) -> InvalidInput:
    return InvalidInput(f"{column.name} takes {what}, not {value!r}", field=column.name,
                        value=value)


def from_text(column: Column, text: str | None) -> Any:
    """A value read as text (a file cell, a query parameter) as `column` holds it.

    Blank text is None (no value). InvalidInput names the column and the text.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    kind = kind_of(column)
    if kind is ColumnKind.boolean:
        word = text.lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise _bad(column, "true or false", text)
    if kind in (ColumnKind.integer, ColumnKind.number):
        try:
            number = float(text)
        except ValueError:
            raise _bad(column, "a whole number" if kind is ColumnKind.integer else "a number",
                       text) from None
        return _number(column, kind, number, text)
    if kind is ColumnKind.date:
        return _date(column, text)
    if kind is ColumnKind.datetime:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise _bad(column, "an ISO 8601 date-time", text) from None
    if kind is ColumnKind.json:
        if text.startswith(("[", "{")):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{column.name} is not valid JSON: {exc}",
                                   field=column.name, value=text) from None
        return [part.strip() for part in text.replace("；", ";").split(";") if part.strip()]
    return _text(column, text)


def from_json(column: Column, value: Any) -> Any:
    """A JSON value (a request body's property) as `column` holds it.

    A string for a non-text column is read as a file's text would be ("12" for 12).
    """
    if value is None:
        return None
    kind = kind_of(column)
    if isinstance(value, str) and kind is not ColumnKind.text:
        return from_text(column, value)
    if kind is ColumnKind.json:
        return value
    if kind is ColumnKind.boolean:
        if not isinstance(value, bool):
            raise _bad(column, "true or false", value)
        return value
    if kind in (ColumnKind.integer, ColumnKind.number):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(column, "a whole number" if kind is ColumnKind.integer else "a number",
                       value)
        return _number(column, kind, float(value), value)
    if kind in (ColumnKind.date, ColumnKind.datetime):
        raise _bad(column, f"an ISO 8601 {kind.value} string", value)
    if not isinstance(value, str):
        raise _bad(column, "a string", value)
    return _text(column, value)


def _number(column: Column, kind: ColumnKind, number: float, given: object) -> int | float:
    if not math.isfinite(number):
        raise _bad(column, "a finite number", given)
    if kind is ColumnKind.number:
        return number
    if not number.is_integer():
        raise _bad(column, "a whole number", given)
    return int(number)


def _date(column: Column, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(column, "an ISO 8601 date", text) from None
    if moment.time() != datetime.min.time():
        raise _bad(column, "a date (this has a time of day)", text)
    return moment.date()


def _text(column: Column, text: str) -> str:
    length = getattr(column.type, "length", None)
    if length and len(text) > length:
        raise InvalidInput(f"{column.name} is at most {length} characters, got {len(text)}",
                           field=column.name, value=text)
    return text


@cache
def lower_bound(column: Column) -> tuple[str, float, bool] | None:
    """(constraint name, bound, inclusive) of a `CHECK (name IS NULL OR name > n)` (or >=)."""
    pattern = re.compile(rf"^{column.name} IS NULL OR {column.name} (>=?) (-?[0-9.]+)$")
    for constraint in column.table.constraints:
        found = pattern.match(str(getattr(constraint, "sqltext", "")))
        if found:
            return str(constraint.name), float(found[2]), found[1] == ">="
    return None


def check_value(column: Column, value: Any) -> None:
    """Refuse a converted value the column's CHECK constraints (IN lists, lower bounds)
    would refuse, before the store does."""
    if value is None:
        return
    allowed = allowed_values(column)
    if allowed is not None and value not in allowed:
        raise InvalidInput(f"{column.name} is one of {', '.join(allowed)}, not {value!r}",
                           field=column.name, value=value)
    bound = lower_bound(column)
    if bound is not None:
        name, least, inclusive = bound
        if value < least or (value == least and not inclusive):
            shown = int(least) if least.is_integer() else least
            raise InvalidInput(f"{column.name} must be {'>=' if inclusive else '>'} {shown} "
                               f"({name}), not {value!r}", field=column.name, value=value)


def required(column: Column) -> bool:
    """Whether a row must give the column (not null, and the store fills no default)."""
    return (not column.nullable and column.default is None and column.server_default is None
            and not column.primary_key)


def convert_row(layer: Layer, values: Mapping[str, Any], *, text: bool,
                partial: bool = False, given_apart: Collection[str] = ()) -> dict[str, Any]:
    """The layer's columns from `values` (file text when `text`, else JSON values), checked.

    Names the layer does not take are refused; with `partial` (a merge patch) a column left
    out stays as stored, else a required column left out is refused (except those in
    `given_apart`: a code the writer gives beside the properties, or the twin issues). The
    layer's own check (division codes, GB 32100, years) runs on what the row carries.
    Every bad field is named at once (`InvalidFields`), not only the first.
    """
    problems: list[InvalidInput] = []
    row = _converted(layer, values, text, partial, given_apart, problems)
    if layer.check is not None:
        failed = layer.check(row)
        if failed is not None and not any(p.field == failed[0] for p in problems):
            problems.append(InvalidInput(failed[1], field=failed[0], value=row.get(failed[0])))
    if problems:
        raise InvalidFields(problems)
    return row


def _converted(layer: Layer, values: Mapping[str, Any], text: bool, partial: bool,
               given_apart: Collection[str], problems: list[InvalidInput]) -> dict[str, Any]:
    # The fields that convert and pass their column's checks; the others go to `problems`.
    columns = {c.name: c for c in layer.importable_columns()}
    row: dict[str, Any] = {}
    for name, value in values.items():
        column = columns.get(name)
        if column is None:
            problems.append(InvalidInput(f"{layer.name} has no property {name!r}; it takes: "
                                         f"{', '.join(columns)}", field=name, value=value))
            continue
        try:
            converted = from_text(column, value) if text else from_json(column, value)
            if converted is None and text:
                continue  # a blank cell gives no value; a JSON null clears one
            check_value(column, converted)
        except InvalidInput as exc:
            problems.append(exc)
            continue
        row[name] = converted
    refused = {p.field for p in problems}
    for name, column in columns.items():
        if name in given_apart and name not in row or name in refused:
            continue
        if row.get(name) is None and required(column) and (name in row or not partial):
            problems.append(
                InvalidInput(f"{name} cannot be empty", field=name, value=values[name])
                if name in row else
                InvalidInput(f"{layer.name} features need {name}", field=name))
    return row


def check_geometry(layer: Layer, geom: BaseGeometry | None) -> BaseGeometry | None:
    """A CGCS2000 geometry checked for the layer (type, emptiness, validity, inside China)
    and promoted to its declared multi type; None where the layer allows none."""
    if geom is None:
        if not layer.geometry_column.nullable:
            raise InvalidInput(f"{layer.name} features need a geometry", field="geometry")
        return None
    allowed = GEOMETRY_FAMILY.get(layer.geometry_type)
    if allowed and geom.geom_type not in allowed:
        raise InvalidInput(f"{layer.name} takes {' or '.join(allowed)} geometries, not "
                           f"{geom.geom_type}", field="geometry", value=geom.geom_type)
    if geom.is_empty:
        raise InvalidInput("geometry is empty", field="geometry", value=geom.wkt[:80])
    if not geom.is_valid:
        raise InvalidInput(f"geometry is invalid: {shapely.is_valid_reason(geom)}",
                           field="geometry", value=geom.wkt[:80])
    minx, miny, maxx, maxy = geom.bounds
    if minx < CHINA[0] or miny < CHINA[1] or maxx > CHINA[2] or maxy > CHINA[3]:
        raise InvalidInput(
            f"geometry lies outside China in CGCS2000 lon/lat (bounds {minx:.4f},{miny:.4f},"
            f"{maxx:.4f},{maxy:.4f}); check the CRS and the axis order", field="geometry",
            value=geom.wkt[:80])
    return promote(geom, layer.geometry_type)


def geometry_from_geojson(geometry: Any) -> BaseGeometry:
    """A GeoJSON geometry object as shapely (coordinates as given, in the body's CRS)."""
    try:
        return shapely.from_geojson(orjson.dumps(geometry))
    except Exception as exc:  # noqa: BLE001 - GEOS reader errors
        raise InvalidInput(f"geometry is not valid GeoJSON: {exc}", field="geometry") from None


def references(layer: Layer) -> list[tuple[str, Column]]:
    """The layer's columns that point at another row, with the column they point at."""
    return [(c.name, fk.column) for c in layer.importable_columns() for fk in c.foreign_keys]


def present(conn: Connection, column: Column, values: list[str]) -> set[str]:
    """Which of `values` the column holds (asked 5,000 at a time: IN lists have limits)."""
    found: set[str] = set()
    for start in range(0, len(values), 5_000):
        part = values[start : start + 5_000]
        found |= set(conn.execute(select(column).where(column.in_(part))).scalars())
    return found


def check_references(conn: Connection, layer: Layer, values: Mapping[str, Any]) -> None:
    """A written value pointing at a row the store does not hold is refused, naming the
    field and the value (on both stores: SQLite's own refusal names neither)."""
    for name, target in references(layer):
        value = values.get(name)
        if value is not None and not present(conn, target, [str(value)]):
            raise InvalidInput(f"no {target.table.name} with {target.name} {value}",
                               field=name, value=value)
