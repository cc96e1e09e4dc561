"""The one door for writes to a feature: create, change, retire — with 落图, codes, audit.

Every face that writes a feature (the OGC API, the pygeoapi face, a process) comes
through here, so placement, code issuing and checking, optimistic locking by version and
the audit line happen the same way whatever asked. A change never changes a feature's
code; a retire marks the feature retired (a building demolished) and retires its code in
the registry, and the row stays for history. This is also where a change event will be
written (an outbox in the same transaction) when departments subscribe to changes.

Faces translate their own details: the API turns If-Match into `versions`, Content-Crs
into `crs`, and a GeoJSON body into an `Edit`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import orjson
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from twin import models, rows
from twin.audit import record
from twin.codes import beidou, registry
from twin.codes.outside import check_uscc
from twin.codes.schemes import get_scheme
from twin.crs import CrsRef, to_storage
from twin.errors import (
    Conflict,
    InvalidFields,
    InvalidInput,
    NotEditable,
    NotFound,
    PreconditionFailed,
)
from twin.layers import LAYERS, Layer
from twin.models import STORAGE_SRID
from twin.placement import DEFAULT_BEIDOU_LEVEL, PlacementIndex, house_code_3d
from twin.registry_coding.batch import footprint_keys

# A building's columns its houses' 3D codes are lifted by (twin.placement.house_code_3d).
LIFTED_BY = frozenset({"floors", "height", "geom"})


@dataclass(frozen=True)
class Edit:
    """One feature as a writer gives it: JSON property values and a geometry in `crs`.

    `geometry_given` False leaves the stored geometry as it is (a merge patch without one).
    """

    properties: Mapping[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    geometry_given: bool = True
    crs: CrsRef | None = None  # None: CGCS2000 longitude/latitude, as stored
    code: str | None = None  # the code given beside the properties (a Feature's id)

    def given_code(self, layer: Layer) -> Any:
        """The code the writer gave, in the properties or beside them."""
        return self.properties.get(layer.id_column, self.code)


def editable(layer: Layer) -> None:
    """Raise NotEditable for layers whose features are not written one by one."""
    if not layer.editable:
        names = [name for name, other in LAYERS.items() if other.editable]
        raise NotEditable(f"{layer.name} is read-only; editable layers are: {', '.join(names)}")


def _bad(message: str, field_name: str | None, value: object = None) -> InvalidInput:
    return InvalidInput(message, field=field_name, value=value)


def _stored_geometry(layer: Layer, edit: Edit) -> Any:
    """The edit's geometry in CGCS2000, checked for the layer, as a store value."""
    geom = edit.geometry
    if geom is not None and edit.crs is not None:
        # Refuse what GEOS cannot even measure before reprojecting it.
        if not geom.is_empty and not geom.is_valid:
            rows.check_geometry(layer, geom)
        geom = to_storage(np.array([geom], dtype=object), edit.crs)[0]
    checked = rows.check_geometry(layer, geom)
    return None if checked is None else from_shape(checked, srid=STORAGE_SRID)


def row_values(layer: Layer, edit: Edit, *, partial: bool) -> dict[str, Any]:
    """Column values of an edit: every column on a create or replace (those left out are
    cleared), the given ones on a patch; the status and code only when given. A bad geometry
    is named with the bad properties, all in one InvalidFields."""
    problems: list[InvalidInput] = []
    try:
        values = rows.convert_row(layer, edit.properties, text=False, partial=partial,
                                  given_apart=(layer.id_column,))
    except InvalidFields as exc:
        problems, values = list(exc.problems), {}
    if not partial:
        for column in layer.importable_columns():
            if column.name not in values and column.name not in ("status", layer.id_column) \
                    and column.nullable:
                values[column.name] = None
    if not partial or edit.geometry_given:
        try:
            values["geom"] = _stored_geometry(layer, edit)
        except InvalidInput as exc:
            problems.append(exc)
    if problems:
        raise InvalidFields(problems)
    return values


def check_code(layer: Layer, code: object) -> str:
    """A new feature's code, checked against the layer's scheme (check character included)."""
    if not isinstance(code, str) or not code.strip():
        raise _bad(f"a new {layer.name} feature needs its code in properties.{layer.id_column}"
                   " (or as the Feature id)", layer.id_column, code)
    code = code.strip().upper()
    if layer.scheme == "uscc":
        verdict = check_uscc(code)
        if not verdict.valid:
            raise _bad(f"{code} is not a valid unified social credit code: "
                       f"{'; '.join(verdict.reasons)}", layer.id_column, code)
    else:
        assert layer.scheme is not None  # editable layers keep codes of a scheme
        get_scheme(layer.scheme).parse(code)
    return code


def _current(conn: Connection, layer: Layer, code: str, versions: Collection[int] | None
             ) -> Any:
    """The stored feature a change or retire starts from: there, at a version the writer
    saw, and not history already."""
    t = layer.table
    row = conn.execute(select(t).where(t.c[layer.id_column] == code)).first()
    if row is None:
        raise NotFound(f"no feature {code!r} in {layer.name}")
    if versions is not None and row.version not in versions:
        raise PreconditionFailed(
            f"{code} is at version {row.version} (ETag \"{row.version}\"), not "
            f"{', '.join(str(v) for v in sorted(versions))}; read it again and retry with "
            "the new version"
        )
    if layer.is_gone(row.status):
        raise Conflict(f"{code} is {row.status}; a retired feature is history, not edited")
    return row


def create(engine: Engine, layer: Layer, edit: Edit, actor: str) -> str:
    """Insert a new feature and return its code; the code is issued when the layer issues
    codes on create and none is given, else it must be new to the table and the registry."""
    editable(layer)
    given = edit.given_code(layer)
    issued = given is None and layer.issued_on_create
    values = row_values(layer, edit, partial=False)
    values.update(placed(engine, layer, values, edit.properties, None))
    values["status"] = values.get("status") or "active"
    rows.check_value(layer.table.c.status, values["status"])
    t = layer.table
    with engine.begin() as conn:
        rows.check_references(conn, layer, values)
        values.update(lifted(conn, layer, values, None))
        code = new_building_code(conn, values) if issued else check_code(layer, given)
        values[layer.id_column] = code
        if conn.execute(select(t.c.id).where(t.c[layer.id_column] == code)).first():
            raise Conflict(f"{layer.name} already holds {code}")
        if not issued and registry.lookup(conn, code) is not None:
            raise Conflict(f"code {code} was issued before; a code is never reused")
        _write(conn, t.insert().values(**values, version=1), code)
        if not issued:
            _register(conn, layer, code, "issue")
        record(conn, actor, "create", layer.name, code,
               {"properties": _jsonable(dict(edit.properties))})
    return code


def placed(engine: Engine, layer: Layer, values: dict[str, Any], props: Mapping[str, Any],
           before: Any) -> dict[str, Any]:
    """落图 of a new or moved geometry (PlacementIndex.reconcile): the place fills what
    the body leaves out or echoes from the stored feature (a client that moved the
    geometry and sent the rest back); a place the body sets that the geometry
    contradicts is refused."""
    columns = layer.place_columns
    if not layer.placed or not columns or values.get("geom") is None:
        return {}
    index, geom = PlacementIndex.kept(engine), to_shape(values["geom"])
    given = {k: v for k, v in props.items()
             if k in columns and not (before is not None and v == getattr(before, k))}
    out, wrong = index.reconcile(index.place(geom), geom, given, columns)
    if wrong:
        raise _bad(wrong[0].reason, wrong[0].field, wrong[0].value)
    return out


def lifted(conn: Connection, layer: Layer, values: dict[str, Any], before: Any
           ) -> dict[str, Any]:
    """A house's 3D BeiDou code when its point, floor or building is written: the 2D cell
    of its point lifted to its storey in its building (twin.placement.house_code_3d)."""
    if "beidou_code_3d" not in layer.table.c or not {"geom", "floor", "building_code"} & set(
            values):
        return {}

    def now(name: str) -> Any:
        return values[name] if name in values else getattr(before, name, None)

    b = models.Building.__table__
    # The building is there: its reference was checked (`rows.check_references`).
    building = conn.execute(select(b.c.floors, b.c.height, b.c.geom)
                            .where(b.c.code == now("building_code"))).one()
    return {"beidou_code_3d": _code_3d(now("geom"), now("floor"), building)}


def _code_3d(point: Any, floor: str | None, building: Any) -> str | None:
    """The 3D code of a house at `point` (its building's footprint when it has none) on
    `floor` of `building` (a row with floors, height and its footprint, never empty)."""
    at = to_shape(point if point is not None else building.geom).representative_point()
    plane = beidou.encode(at.x, at.y, DEFAULT_BEIDOU_LEVEL)
    return house_code_3d(plane, floor, building.floors, building.height)


def relifted(conn: Connection, layer: Layer, code: str, values: dict[str, Any],
             actor: str) -> list[str]:
    """After a building's height, floors or footprint were written (in `conn`'s
    transaction): its houses' 3D codes lifted again, each changed house a new version and
    an audit line; returns the houses whose code changed."""
    if layer.table is not models.Building.__table__ or not LIFTED_BY & set(values):
        return []
    houses = next(other for other in LAYERS.values() if other.table is models.House.__table__)
    b, h = layer.table, houses.table
    building = conn.execute(select(b.c.floors, b.c.height, b.c.geom)
                            .where(b.c.code == code)).one()
    rows = conn.execute(select(h.c.id, h.c.code, h.c.floor, h.c.geom, h.c.version, h.c.status,
                               h.c.beidou_code_3d).where(h.c.building_code == code)
                        .order_by(h.c.code)).all()
    moved = [(house, new) for house in rows if not houses.is_gone(house.status)
             and (new := _code_3d(house.geom, house.floor, building)) != house.beidou_code_3d]
    if not moved:
        return []
    conn.execute(update(h).where(h.c.id == bindparam("house_id")).values(
        beidou_code_3d=bindparam("code_3d"), version=h.c.version + 1,
        updated_at=func.current_timestamp()),
        [{"house_id": house.id, "code_3d": new} for house, new in moved])
    for house, new in moved:
        record(conn, actor, "update", houses.name, house.code, {
            "before": {"beidou_code_3d": house.beidou_code_3d},
            "after": {"beidou_code_3d": new}, "geometry_changed": False,
            "version": house.version + 1, "because": f"building {code} changed",
        })
    return [house.code for house, _ in moved]


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


def _register(conn: Connection, layer: Layer, code: str, reason: str) -> None:
    assert layer.object_type is not None  # editable layers only
    _write(conn, registry.REGISTRY.insert().values(
        code=code, scheme=layer.scheme, object_type=layer.object_type,
        object_id=code, status="active", reason=reason, predecessors=[], successors=[],
    ), code)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return orjson.loads(orjson.dumps(values, default=str))


def change(engine: Engine, layer: Layer, code: str, edit: Edit, actor: str, *,
           partial: bool, versions: Collection[int] | None = None) -> int:
    """Replace (`partial` False) or update a feature; returns its new version.

    `versions`: the versions the writer last saw (None: any); another is PreconditionFailed.
    """
    editable(layer)
    given = edit.given_code(layer)
    if given is not None and str(given) != code:
        raise _bad(f"a feature keeps its code: body says {given!r}, the URL {code!r}",
                   layer.id_column, given)
    values = row_values(layer, edit, partial=partial)
    values.pop(layer.id_column, None)
    if layer.is_gone(values.get("status")):
        raise _bad(f"retire {code} with DELETE, so its code is retired in the registry too",
                   "status", values["status"])
    t = layer.table
    with engine.begin() as conn:
        row = _current(conn, layer, code, versions)
        values.update(placed(engine, layer, values, edit.properties, row))
        rows.check_references(conn, layer, values)
        values.update(lifted(conn, layer, values, row))
        done = _write(conn, update(t).where(t.c.id == row.id, t.c.version == row.version)
                      .values(**values, version=row.version + 1,
                              updated_at=func.current_timestamp()), code)
        if done.rowcount != 1:
            raise PreconditionFailed(f"{code} changed while this edit ran; read it and retry")
        before = {k: getattr(row, k) for k in values if k != "geom"}
        record(conn, actor, "update" if partial else "replace", layer.name, code, {
            "before": _jsonable(before), "after": _jsonable(
                {k: v for k, v in values.items() if k != "geom"}),
            "geometry_changed": "geom" in values, "version": row.version + 1,
        })
        relifted(conn, layer, code, values, actor)
    return int(row.version) + 1


def retire(engine: Engine, layer: Layer, code: str, actor: str, *,
           versions: Collection[int] | None = None) -> None:
    """Mark the feature retired (a building demolished) and retire its code."""
    editable(layer)
    t = layer.table
    status = layer.retired_status
    with engine.begin() as conn:
        row = _current(conn, layer, code, versions)
        values: dict[str, Any] = {"status": status, "version": row.version + 1,
                                  "updated_at": func.current_timestamp()}
        if "valid_to" in t.c:
            values["valid_to"] = date.today()
        done = conn.execute(update(t).where(t.c.id == row.id, t.c.version == row.version)
                            .values(**values))
        if done.rowcount != 1:
            raise PreconditionFailed(f"{code} changed while this retire ran; read it and retry")
        if registry.lookup(conn, code) is None:
            _register(conn, layer, code, "backfill")
        registry.retire(conn, code, reason="demolish" if status == "demolished" else "retire",
                        actor=actor)
        record(conn, actor, "delete", layer.name, code, {"status": status})
