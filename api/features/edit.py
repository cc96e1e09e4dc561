"""Editing features (OGC API - Features Part 4): validate, lock optimistically, audit.

An edit never changes a feature's code; a delete retires the feature (a building is
demolished) and its code in the registry, and the row stays for history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import JSON, Column, Connection, Engine, Float, Integer, func, select, update
from sqlalchemy.exc import IntegrityError

from api.auth import Principal
from api.errors import MethodNotAllowed
from api.features.audit import record
from api.features.counting import forget_counts
from twin import models
from twin.codes import registry
from twin.codes.outside import check_uscc
from twin.codes.schemes import get_scheme
from twin.crs import CrsRef, to_storage
from twin.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from twin.layers import Layer
from twin.models import STORAGE_SRID
from twin.placement import PLACE_COLUMNS, PLACED_LAYERS, PlacementIndex
from twin.registry_coding.batch import footprint_keys

# Code scheme that issues the codes of a layer (None: the code is checked another way).
SCHEMES = {"buildings": "building", "houses": "building", "addresses": "address",
           "city_objects": "component", "organizations": None}
OBJECT_TYPES = {"buildings": "building", "houses": "house", "addresses": "address",
                "city_objects": "city_object", "organizations": "organization"}
GONE_STATUS = {"buildings": "demolished"}
# Layers that issue a new feature's code when the body gives none.
ISSUED_ON_CREATE = frozenset({"buildings"})
# CGCS2000 lon/lat box around China and its seas: coordinates outside are a CRS mistake.
CHINA = (70.0, 0.0, 140.0, 56.0)
GEOMETRY_FAMILY = {"MultiPolygon": ("Polygon", "MultiPolygon"),
                   "MultiLineString": ("LineString", "MultiLineString"),
                   "Point": ("Point",)}


def writable(layer: Layer) -> None:
    """Raise MethodNotAllowed for layers the API does not edit."""
    if layer.name not in SCHEMES:
        raise MethodNotAllowed(
            f"{layer.name} is read-only through the API; editable layers are: "
            f"{', '.join(SCHEMES)}"
        )


def _bad(message: str, field: str | None, value: object = None) -> InvalidInput:
    return InvalidInput(message, field=field, value=value)


def parse_body(raw: bytes, *, patch: bool = False) -> dict[str, Any]:
    """The request body as a GeoJSON Feature object (a merge patch may leave out `type`)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"the body is not JSON: {exc}", "body") from None
    if patch and isinstance(body, dict):
        body.setdefault("type", "Feature")
    if not isinstance(body, dict) or body.get("type") != "Feature":
        raise _bad('the body must be a GeoJSON Feature ({"type": "Feature", ...})', "type",
                   body.get("type") if isinstance(body, dict) else None)
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise _bad("properties must be an object", "properties", props)
    return body


def _value_for(col: Column, value: Any) -> Any:
    """A JSON value checked against the column's type."""
    name = col.name
    if value is None:
        if not col.nullable and col.default is None and col.server_default is None:
            raise _bad(f"{name} cannot be null", name, value)
        return None
    if isinstance(col.type, JSON):
        return value
    if isinstance(col.type, Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{name} takes an integer", name, value)
        return value
    if isinstance(col.type, Float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(f"{name} takes a number", name, value)
        return float(value)
    kind = col.type.python_type
    if kind in (date, datetime):
        try:
            return kind.fromisoformat(str(value))
        except ValueError:
            raise _bad(f"{name} takes an ISO 8601 {kind.__name__}", name, value) from None
    if not isinstance(value, str):
        raise _bad(f"{name} takes a string", name, value)
    length = getattr(col.type, "length", None)
    if length and len(value) > length:
        raise _bad(f"{name} is at most {length} characters", name, value)
    return value


def _geometry(layer: Layer, geometry: Any, crs: CrsRef) -> Any:
    """A GeoJSON geometry checked (type, validity, place) and stored as CGCS2000 lon/lat."""
    if geometry is None:
        if not layer.geometry_column.nullable:
            raise _bad(f"{layer.name} features need a geometry", "geometry")
        return None
    try:
        shape = shapely.from_geojson(orjson.dumps(geometry))
    except Exception as exc:  # noqa: BLE001 - GEOS reader errors
        raise _bad(f"geometry is not valid GeoJSON: {exc}", "geometry") from None
    allowed = GEOMETRY_FAMILY.get(layer.geometry_type)
    if allowed and shape.geom_type not in allowed:
        raise _bad(f"{layer.name} takes {' or '.join(allowed)} geometries, not "
                   f"{shape.geom_type}", "geometry", shape.geom_type)
    if shape.is_empty:
        raise _bad("geometry is empty", "geometry")
    if not shape.is_valid:
        raise _bad(f"geometry is invalid: {shapely.is_valid_reason(shape)}", "geometry")
    stored = to_storage(shapely.from_wkb([shapely.to_wkb(shape)]), crs)[0]
    minx, miny, maxx, maxy = stored.bounds
    if minx < CHINA[0] or miny < CHINA[1] or maxx > CHINA[2] or maxy > CHINA[3]:
        raise _bad(f"geometry lies outside China once read in {crs.uri} (bounds "
                   f"{minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}); check Content-Crs and the "
                   "axis order", "geometry")
    if layer.geometry_type == "MultiPolygon" and stored.geom_type == "Polygon":
        stored = shapely.MultiPolygon([stored])
    if layer.geometry_type == "MultiLineString" and stored.geom_type == "LineString":
        stored = shapely.MultiLineString([stored])
    return from_shape(stored, srid=STORAGE_SRID)


def _columns(layer: Layer) -> dict[str, Column]:
    return {c.name: c for c in layer.importable_columns()}


def row_values(layer: Layer, body: dict[str, Any], crs: CrsRef, *, partial: bool
               ) -> dict[str, Any]:
    """Column values from a Feature body (all columns for PUT/POST, the given ones for PATCH)."""
    props: dict[str, Any] = dict(body.get("properties") or {})
    columns = _columns(layer)
    for name in props:
        if name not in columns:
            raise _bad(f"{layer.name} has no editable property {name!r}; editable: "
                       f"{', '.join(columns)}", name, props[name])
    values = {}
    for name, col in columns.items():
        if name in props:
            values[name] = _value_for(col, props[name])
        elif partial or name in ("status", layer.id_column):
            continue
        elif col.nullable:
            values[name] = None
        elif col.default is None and col.server_default is None:
            raise _bad(f"{layer.name} features need {name}", name)
    if not partial or "geometry" in body:
        values["geom"] = _geometry(layer, body.get("geometry"), crs)
    return values


def check_code(layer: Layer, code: object) -> str:
    """A new feature's code, checked against its scheme (check character included)."""
    if not isinstance(code, str) or not code.strip():
        raise _bad(f"a new {layer.name} feature needs its code in properties.{layer.id_column}"
                   " (or as the Feature id)", layer.id_column, code)
    code = code.strip().upper()
    scheme = SCHEMES[layer.name]
    if scheme is not None:
        get_scheme(scheme).parse(code)
    elif layer.name == "organizations":
        verdict = check_uscc(code)
        if not verdict.valid:
            raise _bad(f"{code} is not a valid unified social credit code: "
                       f"{'; '.join(verdict.reasons)}", layer.id_column, code)
    return code


def _current(conn: Connection, layer: Layer, code: str) -> Any:
    t = layer.table
    row = conn.execute(select(t).where(t.c[layer.id_column] == code)).first()
    if row is None:
        raise NotFound(f"no feature {code!r} in {layer.name}")
    return row


def _check_match(if_match: str | None, version: int, code: str) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if f'"{version}"' not in wanted:
        raise PreconditionFailed(
            f"{code} is at version {version} (ETag \"{version}\"), not {if_match}; "
            "GET it again and retry with the new ETag"
        )


def create(engine: Engine, layer: Layer, body: dict[str, Any], crs: CrsRef,
           principal: Principal) -> str:
    """Insert a new feature; its code must be new to the table and the registry."""
    writable(layer)
    props = body.get("properties") or {}
    given = props.get(layer.id_column, body.get("id"))
    issued = given is None and layer.name in ISSUED_ON_CREATE
    values = row_values(layer, body, crs, partial=False)
    values.update(placed(engine, layer, values, props, None))
    values["status"] = props.get("status", "active")
    _check_status(layer, values["status"])
    t = layer.table
    with engine.begin() as conn:
        code = new_building_code(conn, values) if issued else check_code(layer, given)
        values[layer.id_column] = code
        if conn.execute(select(t.c.id).where(t.c[layer.id_column] == code)).first():
            raise Conflict(f"{layer.name} already holds {code}")
        if not issued and registry.lookup(conn, code) is not None:
            raise Conflict(f"code {code} was issued before; a code is never reused")
        _write(conn, t.insert().values(**values, version=1), code)
        if not issued:
            _register(conn, layer, code, "issue")
        record(conn, principal, "create", layer.name, code, {"properties": _jsonable(props)})
    forget_counts(engine, layer)
    return code


def placed(engine: Engine, layer: Layer, values: dict[str, Any], props: dict[str, Any],
           before: Any) -> dict[str, Any]:
    """落图 of a new or moved geometry (PlacementIndex.reconcile): the place fills what
    the body leaves out or echoes from the stored feature (a client that moved the
    geometry and sent the rest back); a place the body sets that the geometry
    contradicts is refused."""
    columns = [c for c in PLACE_COLUMNS if c in layer.table.c]
    if layer.name not in PLACED_LAYERS or not columns or values.get("geom") is None:
        return {}
    index, geom = PlacementIndex.kept(engine), to_shape(values["geom"])
    given = {k: v for k, v in props.items()
             if k in columns and not (before is not None and v == getattr(before, k))}
    out, wrong = index.reconcile(index.place(geom), geom, given, columns)
    if wrong:
        raise _bad(wrong[0].reason, wrong[0].field, wrong[0].value)
    return out


def new_building_code(conn: Connection, values: dict[str, Any]) -> str:
    """Issue the code of a building posted without one: its township, year built and the
    next building number; the same footprint posted again asks for the same code."""
    township = values.get("township_code")
    if not township:
        raise _bad("a new building needs its code in properties.code, or a footprint inside "
                   "a township of the twin so one can be issued", "code")
    key = footprint_keys(np.array([to_shape(values["geom"])], dtype=object))[0]
    year = values.get("year_built") or 0
    answer = registry.issue_many(conn, [registry.CodeRequest(
        "building", key, {"township": township[:9], "year": int(year), "household": 0},
        object_type="building")], full="skip")[0]
    if answer.full is not None:
        raise Conflict(f"no building number left for township {township[:9]}, year "
                       f"{year:04d}: the code layout holds 9999 per township and year")
    return answer.code


def _write(conn: Connection, statement: Any, code: str) -> Any:
    """Run an insert/update; a broken constraint (reference, range) is the caller's input."""
    try:
        return conn.execute(statement)
    except IntegrityError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        if "unique" in type(exc.orig).__name__.lower() or "UNIQUE constraint" in reason:
            # Two writers raced for the same code: the loser is told, not given a 500.
            raise Conflict(f"{code} was taken meanwhile: {reason}") from None
        raise _bad(f"{code} breaks a rule of the store: {reason}", None) from None


def _check_status(layer: Layer, status: Any) -> None:
    allowed = models.ADDRESS_STATUSES if layer.name == "addresses" else models.OBJECT_STATUSES
    if status not in allowed:
        raise _bad(f"status is one of {', '.join(allowed)}", "status", status)


def _register(conn: Connection, layer: Layer, code: str, reason: str) -> None:
    _write(conn, registry.REGISTRY.insert().values(
        code=code, scheme=SCHEMES[layer.name] or "uscc", object_type=OBJECT_TYPES[layer.name],
        object_id=code, status="active", reason=reason, predecessors=[], successors=[],
    ), code)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return orjson.loads(orjson.dumps(values, default=str))


def change(engine: Engine, layer: Layer, code: str, body: dict[str, Any], crs: CrsRef,
           if_match: str | None, principal: Principal, *, partial: bool) -> int:
    """Replace (PUT) or update (PATCH) a feature; returns its new version."""
    writable(layer)
    props = body.get("properties") or {}
    given = props.get(layer.id_column, body.get("id"))
    if given is not None and str(given) != code:
        raise _bad(f"a feature keeps its code: body says {given!r}, the URL {code!r}",
                   layer.id_column, given)
    values = row_values(layer, body, crs, partial=partial)
    values.pop(layer.id_column, None)
    if "status" in values:
        _check_status(layer, values["status"])
        if values["status"] in ("retired", "demolished"):
            raise _bad(f"retire {code} with DELETE, so its code is retired in the registry "
                       "too", "status", values["status"])
    t = layer.table
    with engine.begin() as conn:
        row = _current(conn, layer, code)
        _check_match(if_match, row.version, code)
        if row.status in ("retired", "demolished"):
            raise Conflict(f"{code} is {row.status}; a retired feature is history, not edited")
        values.update(placed(engine, layer, values, props, row))
        done = _write(conn, update(t).where(t.c.id == row.id, t.c.version == row.version)
                      .values(**values, version=row.version + 1,
                              updated_at=func.current_timestamp()), code)
        if done.rowcount != 1:
            raise PreconditionFailed(f"{code} changed while this edit ran; GET it and retry")
        before = {k: getattr(row, k) for k in values if k != "geom"}
        record(conn, principal, "update" if partial else "replace", layer.name, code, {
            "before": _jsonable(before), "after": _jsonable(
                {k: v for k, v in values.items() if k != "geom"}),
            "geometry_changed": "geom" in values, "version": row.version + 1,
        })
    forget_counts(engine, layer)
    return row.version + 1


def retire(engine: Engine, layer: Layer, code: str, if_match: str | None,
           principal: Principal) -> None:
    """DELETE: mark the feature retired (a building demolished) and retire its code."""
    writable(layer)
    t = layer.table
    status = GONE_STATUS.get(layer.name, "retired")
    with engine.begin() as conn:
        row = _current(conn, layer, code)
        _check_match(if_match, row.version, code)
        if row.status in ("retired", "demolished"):
            raise Conflict(f"{code} is already {row.status}")
        values: dict[str, Any] = {"status": status, "version": row.version + 1,
                                  "updated_at": func.current_timestamp()}
        if "valid_to" in t.c:
            values["valid_to"] = date.today()
        done = conn.execute(update(t).where(t.c.id == row.id, t.c.version == row.version)
                            .values(**values))
        if done.rowcount != 1:
            raise PreconditionFailed(f"{code} changed while this delete ran; GET it and retry")
        if registry.lookup(conn, code) is None:
            _register(conn, layer, code, "backfill")
        registry.retire(conn, code, reason="demolish" if status == "demolished" else "retire",
                        actor=principal.actor)
        record(conn, principal, "delete", layer.name, code, {"status": status})
    forget_counts(engine, layer)
