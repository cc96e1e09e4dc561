"""What a code means: which schemes it fits, its segments, what it names now, its history,
and the objects related to it across 一标三实 (一码互联: one code leads to the rest).

`explain_code` answers for any code the twin knows how to read — its own schemes (people,
houses, buildings, addresses, city objects), a city's configured ones, BeiDou grid codes,
unified social credit codes and division codes. For a code the twin holds, the reading is
the holding layer's own scheme: a foreign scheme is never guessed for one of its codes.
Related objects follow the data model's references both ways (a building's address,
houses, place; a house's people; the organizations at a building's address …).
ID numbers are never looked up here: they are personal data and travel only hashed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from twin.codes import beidou
from twin.codes.outside import check_division_code, check_uscc
from twin.codes.registry import history, lookup
from twin.codes.scheme import CodeScheme
from twin.codes.schemes import all_schemes
from twin.errors import InvalidInput
from twin.features.masking import masker
from twin.layers import LAYERS, Layer, Level, code_layers

TITLE_COLUMNS = ("name", "full_text", "object_type", "value")
RELATED_LIMIT = 100  # objects listed per relation; `more` says when there are others
# Columns that name a code of another layer without a foreign key in the store.
PLACE_REFERENCES = {"grid_code": "grids", "beidou_code": None}


def _scheme_reading(scheme: CodeScheme, code: str) -> dict[str, Any]:
    parsed = scheme.parse(code)
    return {"scheme": scheme.name, "title": scheme.title, "object_type": scheme.object_type,
            "segments": [s.as_dict() for s in parsed.segments]}


def _beidou_reading(code: str) -> dict[str, Any] | None:
    if code[:1] not in ("N", "S"):
        return None
    try:
        if beidou.looks_like_3d(code):
            cell = beidou.decode_3d(code)
            scheme = "beidou-3d"
        else:
            cell = beidou.decode(code)
            scheme = "beidou-2d"
    except InvalidInput:
        return None
    reading: dict[str, Any] = {
        "scheme": scheme, "title": "北斗网格位置码 BeiDou grid location code (GB/T 39409-2020)",
        "object_type": "grid cell", "level": cell.level, "bbox": list(cell.bounds),
    }
    if cell.bottom is not None:
        reading["height_range_m"] = [cell.bottom, cell.top]
    return reading


def readings(code: str, schemes: dict[str, CodeScheme] | None = None
             ) -> tuple[list[dict[str, Any]], list[str]]:
    """Every scheme `code` validly reads as, and why the schemes of its length refused it."""
    schemes = schemes or all_schemes()
    found: list[dict[str, Any]] = []
    refusals: list[str] = []
    for scheme in schemes.values():
        if scheme.length != len(code):
            continue
        try:
            found.append(_scheme_reading(scheme, code))
        except InvalidInput as exc:
            refusals.append(f"{scheme.name}: {exc}")
    cell = _beidou_reading(code)
    if cell is not None:
        found.append(cell)
    if len(code) == 18:
        uscc = check_uscc(code)
        if uscc.valid:
            found.append({"scheme": "uscc", "title": "统一社会信用代码 (GB 32100-2015)",
                          "object_type": "organization", **uscc.as_dict()})
        else:
            refusals.append("uscc: " + "; ".join(uscc.reasons))
    if len(code) == 12 and code.isdigit():
        division = check_division_code(code)
        if division.valid:
            found.append({"scheme": "division", "title": "统计用区划代码 (NBS 2023)",
                          "object_type": "admin_area", **division.as_dict()})
        else:
            refusals.append("division: " + "; ".join(division.reasons))
    return found, refusals


def named_objects(engine: Engine, code: str, clearance: Level = Level.public
                  ) -> list[dict[str, Any]]:
    """Objects of the twin that carry `code` now (layer, title, status); a 敏感 title (a
    person's name) masked, a 内部 one withheld, unless `clearance` covers it, as Features
    does."""
    out = []
    with engine.connect() as conn:
        for layer in code_layers():
            name, table = layer.name, layer.table
            shown = [c for c in (*TITLE_COLUMNS, "status", "level") if c in table.c
                     and layer.column_class(c) in ("attribute", "internal", "sensitive")]
            columns = [table.c.code] + [table.c[c] for c in shown]
            row = conn.execute(select(*columns).where(table.c.code == code)).first()
            if row is None:
                continue
            data = row._asdict()
            mask = masker(layer, clearance)
            if mask is not None:
                data = mask(data)
            title = next((data[c] for c in TITLE_COLUMNS if data.get(c)), None)
            out.append({"layer": name, "title": title, "status": data.get("status"),
                        **({"level": data["level"]} if "level" in data else {})})
    return out


def _references(layer: Layer) -> list[tuple[str, Layer]]:
    """(column, target layer) for each column of `layer` that holds another layer's code."""
    out: list[tuple[str, Layer]] = []
    by_table = {other.table.name: other for other in LAYERS.values()}
    for column in layer.table.columns:
        for fk in column.foreign_keys:
            target = by_table.get(fk.column.table.name)
            if target is not None and fk.column.name == target.id_column:
                out.append((column.name, target))
        target_name = PLACE_REFERENCES.get(column.name)
        if target_name is not None:
            out.append((column.name, LAYERS[target_name]))
    return out


def related_objects(engine: Engine, layer: Layer, code: str) -> list[dict[str, Any]]:
    """The objects `code` (held by `layer`) points at, those that point at it, and those at
    the same standard address: layer, code and relation (the column that links them)."""
    related: list[dict[str, Any]] = []
    table = layer.table
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c[layer.id_column] == code)).first()
        if row is None:
            return []
        data = row._asdict()
        for column, target in _references(layer):
            if data.get(column) and not (target is layer and data[column] == code):
                related.append({"layer": target.name, "code": data[column],
                                "relation": column, "direction": "refers to"})
        for other in LAYERS.values():
            for column, target in _references(other):
                if target is layer:
                    related += _pointing(conn, other, column, code, "referred by")
        address = data.get("address_code") if layer.name != "addresses" else None
        if address:
            for other in LAYERS.values():
                if other is not layer and "address_code" in other.table.c:
                    related += _pointing(conn, other, "address_code", address,
                                         "same address")
    return related


def _pointing(conn: Any, layer: Layer, column: str, code: str, direction: str
              ) -> list[dict[str, Any]]:
    t = layer.table
    codes = conn.execute(select(t.c[layer.id_column]).where(t.c[column] == code)
                         .order_by(t.c[layer.id_column]).limit(RELATED_LIMIT + 1)).scalars().all()
    out = [{"layer": layer.name, "code": c, "relation": column, "direction": direction}
           for c in codes[:RELATED_LIMIT]]
    if len(codes) > RELATED_LIMIT and out:
        out[-1]["more"] = True  # more of this relation than are listed
    return out


def located_objects(engine: Engine, code: str) -> list[dict[str, Any]]:
    """The objects whose BeiDou grid code is `code`: buildings by their 2D code, houses by
    their 3D one (a house's storey in its building)."""
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for layer in LAYERS.values():
            for column in ("beidou_code", "beidou_code_3d"):
                if column in layer.table.c:
                    out += _pointing(conn, layer, column, code, "located here")
    return out


def _own_readings(found: list[dict[str, Any]], holders: list[Layer], record: Any
                  ) -> list[dict[str, Any]]:
    """For a code the twin holds, only the holder's own scheme reads it; a foreign scheme
    whose layout the code happens to fit is not offered as a guess."""
    own = {layer.scheme for layer in holders if layer.scheme}
    if record is not None:
        own.add(record.scheme)
    if not holders and record is None:
        return found
    return [r for r in found if r["scheme"] in own]


def explain_code(engine: Engine, code: str, schemes: dict[str, CodeScheme] | None = None,
                 *, clearance: Level = Level.public) -> dict[str, Any]:
    """Everything the twin can say about `code` (classified fields masked or withheld
    unless `clearance` covers them); InvalidInput if it can say nothing."""
    code = str(code).strip().upper()
    if not code or len(code) > 64:
        raise InvalidInput("a code has 1–64 characters", field="code", value=code[:64])
    found, refusals = readings(code, schemes)
    with engine.connect() as conn:
        record = lookup(conn, code)
        chain = history(conn, code) if record is not None else []
    names = named_objects(engine, code, clearance)
    holders = [LAYERS[n["layer"]] for n in names]
    found = _own_readings(found, holders, record)
    if not found and record is None and not names:
        why = "; ".join(refusals) if refusals else f"no scheme has codes of {len(code)} characters"
        raise InvalidInput(f"{code!r} is not a code the twin can read: {why}", field="code",
                           value=code)
    return {
        "code": code,
        "readings": found,
        "issued": record is not None,
        "record": record.as_dict() if record else None,
        "history": [v.as_dict() for v in chain],
        "names": names,
        "related": [r for holder in holders for r in related_objects(engine, holder, code)]
        + (located_objects(engine, code)
           if any(r["scheme"].startswith("beidou") for r in found) else []),
        "problems": refusals if not found and not names else [],
    }

