"""Batch coding (赋码) of a building registry: match every row, keep or issue its code.

For each input row, in order:

1. Bad rows (unreadable or invalid geometry, a year that is not one, coordinates that
   are not lon/lat after the CRS step) are reported and get status `unmatched`.
2. The row's footprint, point and address are matched against the twin's buildings
   (`twin.registry_coding.matching`). One building → `existing`, keeping its code. Evidence that
   points at two buildings, or a footprint that half-overlaps one → `conflict`.
3. A footprint that matches nothing is a new building: footprints of the same input that
   overlap are one building; it is placed (township, community, grid, BeiDou code) and
   issued a building code keyed by its footprint → `new`. No footprint → `unmatched`.

Idempotent: a new building's natural key is its footprint, so a second run of the same
input finds the codes the first run issued (and excludes those buildings when matching,
so every row is decided exactly as before) — the output is byte-identical and no code
is issued. New codes and their buildings are written per chunk in one transaction: a
crash leaves whole chunks or nothing, never a code without its building.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, func, select

from twin import models
from twin.codes.registry import CodeRequest, find_by_natural_keys, issue_many
from twin.codes.schemes import get_scheme
from twin.errors import InvalidInput, RowProblem
from twin.layers import LAYERS
from twin.placement import DEFAULT_BEIDOU_LEVEL, PlacementIndex
from twin.registry_coding.checks import cell_text, check_divisions, check_rows, read_year
from twin.registry_coding.matching import (
    SAME_BUILDING,
    BuildingIndex,
    address_key,
    group_same_footprints,
    match_geometries,
)
from twin.registry_coding.source import RegistryFile
from twin.rows import check_value, from_text
from twin.store import Store

BUILDINGS = LAYERS["buildings"]

STATUSES = ("existing", "new", "conflict", "unmatched")
RESULT_COLUMNS = ("code", "status", "match_method", "reason")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CodingOptions:
    """How to code a registry file."""

    crs: str | None = None
    address_column: str | None = None
    year_column: str | None = None
    geometry_column: str | None = None
    chunk_size: int = 20_000
    beidou_level: int = DEFAULT_BEIDOU_LEVEL
    scheme: str = "building"
    dry_run: bool = False  # decide every row, issue and store nothing
    # Test hook: raise after this many chunks were committed (to prove crash safety).
    fail_after_chunks: int | None = None


@dataclass
class CodingReport:
    """What a batch run did."""

    source: str
    rows: int
    by_status: dict[str, int]
    by_method: dict[str, int]
    codes_issued: int
    buildings_created: int
    dry_run: bool = False
    planned: int = 0  # codes a dry run would issue
    problems: list[RowProblem] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds per step

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without timings, so reruns compare equal)."""
        return {
            "source": self.source, "rows": self.rows, "by_status": self.by_status,
            "by_method": self.by_method, "codes_issued": self.codes_issued,
            "buildings_created": self.buildings_created, "dry_run": self.dry_run,
            "planned": self.planned,
            "bad_rows": [{"row": p.row, "field": p.field, "value": None if p.value is None
                          else str(p.value), "reason": p.reason} for p in self.problems],
            "conflicts": [{"row": r, "reason": why} for r, why in self.conflicts],
        }


class ChunkFailure(RuntimeError):
    """Raised by the `fail_after_chunks` test hook."""


def footprint_keys(geoms: np.ndarray) -> list[str]:
    """Natural keys of new buildings: hashes of their normalised footprints, coordinates
    rounded to 1e-7° (about 1 cm), so a footprint read back from any format keys alike."""
    rounded = shapely.normalize(shapely.transform(geoms, lambda xy: np.round(xy, 7)))
    return ["fp:" + hashlib.sha1(wkb, usedforsecurity=False).hexdigest()
            for wkb in shapely.to_wkb(rounded)]


def _cell(name: str, text: object) -> Any:
    """A registry cell as the building column `name` holds it (twin.rows); InvalidInput."""
    blank = text is None or (isinstance(text, float) and np.isnan(text))
    column = BUILDINGS.table.c[name]
    value = from_text(column, None if blank else str(text))
    check_value(column, value)
    return value


def _check_optional(reg: RegistryFile) -> None:
    """Note rows whose name, floors, height or use the buildings layer would refuse."""
    for key, column in reg.optional.items():
        for i, cell in enumerate(reg.frame[column].to_numpy(dtype=object)):
            try:
                _cell(key, cell)
            except InvalidInput as exc:
                reg.problem(i, column, cell, str(exc))


def _check_input_codes(engine: Engine, reg: RegistryFile, decisions: list[_Decision]) -> None:
    """A code the input gives that is another building's is a conflict, never replaced."""
    if reg.code_column is None:
        return
    given = [cell_text(v) for v in reg.frame[reg.code_column].to_numpy(dtype=object)]
    wanted = sorted({c for c in given if c})
    if not wanted:
        return
    b = models.Building.__table__
    known: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(wanted), 5000):
            known |= set(conn.execute(select(b.c.code).where(
                b.c.code.in_(wanted[start : start + 5000]))).scalars())
    for i, code in enumerate(given):
        d = decisions[i]
        if not code or i in reg.problems or d.status == "conflict":
            continue
        if d.status == "existing" and d.code != code:
            decisions[i] = _Decision("conflict", reason=f"the input code {code} is not the "
                                     f"code of the building the row matches ({d.code})")
        elif d.status == "unmatched" and code in known:
            decisions[i] = _Decision("conflict", reason=f"the input code {code} belongs to a "
                                     "building the row's footprint and address do not match")


def _pct(score: float) -> str:
    return f"{round(score * 100)}%"


@dataclass
class _Decision:
    status: str = "unmatched"
    code: str | None = None
    method: str = "none"
    reason: str = ""


def _decide(row: int, geom_type: int, hits: list[tuple[str, float]], addr_hits: list[str],
            has_address: bool) -> _Decision:
    """Status of one row from its geometry hits and address hits (no new codes here)."""
    is_point = geom_type == 0
    strong = [h for h in hits if is_point or h[1] >= SAME_BUILDING]
    geo: str | None = None
    if len(strong) > 1:
        shown = ", ".join(f"{c} ({_pct(s)})" for c, s in strong[:4])
        what = "point lies in" if is_point else "footprint overlaps"
        return _Decision("conflict", reason=f"{what} {len(strong)} buildings: {shown}")
    if strong:
        geo = strong[0][0]
    elif hits:
        c, s = hits[0]
        return _Decision("conflict", reason=f"footprint overlaps building {c} by {_pct(s)}: "
                         "neither the same building nor clear of it")
    method = "point" if is_point else "footprint"
    if geo is not None and strong:
        detail = "" if is_point else f" ({_pct(strong[0][1])} overlap)"
        if len(addr_hits) == 1 and addr_hits[0] != geo:
            return _Decision("conflict", reason=f"{method} matches {geo} but the address "
                             f"matches {addr_hits[0]}")
        if geo in addr_hits:
            return _Decision("existing", geo, f"{method}+address", f"{method}{detail} and "
                             "address agree")
        note = "; address not found" if has_address else ""
        return _Decision("existing", geo, method, f"{method} match{detail}{note}")
    if len(addr_hits) > 1:
        return _Decision("conflict", reason=f"address matches {len(addr_hits)} buildings: "
                         + ", ".join(addr_hits[:4]))
    if addr_hits:
        if geom_type in (3, 6):
            return _Decision("conflict", reason=f"address names {addr_hits[0]} but the "
                             "footprint does not overlap it")
        note = "; point lies in no building" if is_point else ""
        return _Decision("existing", addr_hits[0], "address", f"address match{note}")
    return _Decision()


def code_registry(engine: Engine, reg: RegistryFile, options: CodingOptions | None = None,
                  progress: Progress | None = None) -> tuple[pd.DataFrame, CodingReport]:
    """Code every row of `reg`: (result columns code/status/match_method/reason, report)."""
    options = options or CodingOptions()
    started = time.perf_counter()
    stages: dict[str, float] = {}
    clock = [started]

    def lap(name: str) -> None:
        now = time.perf_counter()
        stages[name] = stages.get(name, 0.0) + now - clock[0]
        clock[0] = now

    scheme = get_scheme(options.scheme)
    n = len(reg.frame)
    _check_optional(reg)
    good = check_rows(reg)
    years = np.zeros(n, dtype=np.int64)
    if reg.year_column is not None:
        for i, text in enumerate(reg.frame[reg.year_column].to_numpy(dtype=object)):
            year, problem = read_year(text)
            if problem:
                reg.problem(i, reg.year_column, text, problem)
                good[i] = False
            else:
                years[i] = year or 0
    good &= check_divisions(engine, reg)
    geoms = reg.geoms.copy()
    geoms[~good] = None
    types = np.full(n, -1)
    present = ~shapely.is_missing(geoms)
    types[present] = shapely.get_type_id(geoms[present])
    polys = np.flatnonzero(np.isin(types, (3, 6)))
    keys = np.full(n, None, dtype=object)
    if len(polys):
        keys[polys] = footprint_keys(geoms[polys])
    lap("validate+keys")

    # Buildings this input created on an earlier run stay out of matching, so each row is
    # decided exactly as it was then.
    building = models.Building.__table__
    with engine.connect() as conn:
        snapshot = conn.execute(select(func.max(building.c.id))).scalar() or 0
        own = find_by_natural_keys(conn, scheme.name, sorted(set(keys[polys])))
    index = BuildingIndex.from_store(engine, exclude=set(own.values()))
    lap("load buildings")
    hits = match_geometries(index, geoms).hits
    addresses = (reg.frame[reg.address_column].to_numpy(dtype=object)
                 if reg.address_column else np.full(n, "", dtype=object))
    decisions: list[_Decision] = []
    for i in range(n):
        if i in reg.problems:
            p = reg.problems[i]
            decisions.append(_Decision(reason=f"bad row: {p.reason}"))
            continue
        akey = address_key(addresses[i])
        addr_hits = [index.codes[j] for j in index.by_address.get(akey, [])] if akey else []
        decisions.append(_decide(i, int(types[i]), hits[i], addr_hits, bool(akey)))

    _check_input_codes(engine, reg, decisions)
    lap("match")
    candidates = np.array([i for i in polys if decisions[i].status == "unmatched"
                           and i not in reg.problems], dtype=np.int64)
    for k in np.flatnonzero(types == 0):
        if decisions[k].status == "unmatched":
            decisions[k].reason = "point lies in no building and the address is not known"
    for k in np.flatnonzero(types == -1):
        if decisions[k].status == "unmatched" and k not in reg.problems:
            decisions[k].reason = "no footprint to create a building from, and the address " \
                                  "is not known"
    issued, created = _issue_new(engine, reg, options, scheme.name, candidates, geoms, keys,
                                 years, decisions, progress, own=own, snapshot=snapshot)
    lap("place+issue+persist")
    result = pd.DataFrame({
        "code": [d.code or "" for d in decisions],
        "status": [d.status for d in decisions],
        "match_method": [d.method for d in decisions],
        "reason": [d.reason for d in decisions],
    })
    report = CodingReport(
        source=reg.path.name, rows=n,
        by_status={s: int(c) for s, c in sorted(Counter(result["status"]).items())},
        by_method={m: int(c) for m, c in sorted(Counter(result["match_method"]).items())},
        codes_issued=issued, buildings_created=created, dry_run=options.dry_run,
        planned=sum(d.reason.startswith("would issue") for d in decisions),
        problems=[reg.problems[i] for i in sorted(reg.problems)],
        conflicts=[(reg.first_row + i, d.reason) for i, d in enumerate(decisions)
                   if d.status == "conflict"],
        seconds=time.perf_counter() - started,
        stages=stages,
    )
    return result, report


def _issue_new(engine: Engine, reg: RegistryFile, options: CodingOptions, scheme: str,
               candidates: np.ndarray, geoms: np.ndarray, keys: np.ndarray, years: np.ndarray,
               decisions: list[_Decision], progress: Progress | None, *,
               own: dict[str, str], snapshot: int) -> tuple[int, int]:
    """Place and code the new buildings, chunk by chunk; returns (codes issued, created).

    Rows whose footprints overlap form one building. If any of them was coded before
    (its footprint key is in the registry), the building keeps that code; otherwise the
    first row's footprint is the key. Before issuing, each chunk looks again — under a
    per-township lock on PostGIS — for buildings another run stored since this one read
    the store, so concurrent runs never store one building twice.
    """
    if len(candidates) == 0:
        if progress:
            progress(0, 0)
        return 0, 0
    first_of = group_same_footprints(geoms, candidates)
    members: dict[int, list[int]] = {}
    for i in sorted(int(c) for c in candidates):
        members.setdefault(first_of[i], []).append(i)
    heads: list[int] = []
    for head, group in members.items():
        anchor = next((r for r in group if keys[r] in own), None)
        if anchor is None:
            heads.append(head)
            continue
        _settle(decisions, reg, group, anchor, own[keys[anchor]], years, earlier=True)
    if not heads:
        if progress:
            progress(0, 0)
        return 0, 0
    head_array = np.array(sorted(heads), dtype=np.int64)
    places = PlacementIndex.from_store(engine).assign(geoms[head_array],
                                                      beidou_level=options.beidou_level)
    # Footprints are stored as multipolygons; promote them all at once.
    single = np.flatnonzero(shapely.get_type_id(geoms[head_array]) == 3)
    if len(single):
        geoms = geoms.copy()
        geoms[head_array[single]] = shapely.multipolygons(geoms[head_array[single]],
                                                          indices=np.arange(len(single)))
    place_of = {int(h): k for k, h in enumerate(head_array)}
    place_columns = {c: places[c].to_numpy(dtype=object) for c in places.columns}
    townships = place_columns["township_code"]
    # A footprint outside every township gets no place (NaN, which is truthy: test the type).
    inside = np.array([isinstance(t, str) and bool(t) for t in townships], dtype=bool)
    placed = [int(h) for h in head_array[inside]]
    for h in head_array[~inside]:
        for r in members[int(h)]:
            reason = "footprint lies outside every township of the twin"
            reg.problem(r, "geometry", None, reason)
            decisions[r] = _Decision(reason=f"bad row: {reason}")
    if options.dry_run:
        for h in placed:
            for r in members[h]:
                decisions[r] = _Decision("new", "", "new", "would issue a new building code "
                                         f"in township {townships[place_of[h]][:9]} (dry run)"
                                         if r == h else f"same building as row "
                                         f"{reg.first_row + h} (dry run)")
        if progress:
            progress(len(placed), len(placed))
        return 0, 0
    issued = created = 0
    ours: set[str] = set()
    size = max(1, options.chunk_size)
    optional = {k: reg.frame[c].to_numpy(dtype=object) for k, c in reg.optional.items()}
    for done, start in enumerate(range(0, len(placed), size), start=1):
        chunk = placed[start : start + size]
        with engine.begin() as conn:
            _lock_townships(conn, sorted({townships[place_of[h]] for h in chunk}))
            taken = _stored_meanwhile(conn, chunk, geoms, snapshot, ours)
            fresh = [h for h in chunk if h not in taken]
            requests = [
                CodeRequest(scheme, keys[h], {
                    "township": townships[place_of[h]][:9], "year": int(years[h]),
                    "household": 0,
                }) for h in fresh
            ]
            answers = issue_many(conn, requests, full="skip")
            rows = [_building_row(h, a.code, geoms, years, place_columns, place_of[h], optional)
                    for h, a in zip(fresh, answers, strict=True) if a.created]
            store_buildings(conn, rows)
        issued += sum(a.created for a in answers)
        created += len(rows)
        ours.update(row["code"] for row in rows)
        for h, a in zip(fresh, answers, strict=True):
            if a.full is not None:
                for r in members[h]:
                    decisions[r] = _Decision(reason=f"no building number left for township "
                                             f"{a.full[:9]}, year {a.full[9:13]}: the code "
                                             "layout holds 9999 per township and year")
                continue
            _settle(decisions, reg, members[h], h, a.code, years)
        for h, decision in taken.items():
            for r in members[h]:
                decisions[r] = decision if r == h else _Decision(
                    decision.status, decision.code, decision.method,
                    f"same building as row {reg.first_row + h}")
        if progress:
            progress(min(start + size, len(placed)), len(placed))
        if options.fail_after_chunks is not None and done >= options.fail_after_chunks:
            raise ChunkFailure(f"stopped on purpose after {done} chunks")
    return issued, created


def _settle(decisions: list[_Decision], reg: RegistryFile, rows: list[int], anchor: int,
            code: str, years: np.ndarray, *, earlier: bool = False) -> None:
    """Every row of one new building gets its code; the anchor row is where it came from.

    A building an earlier run created is `existing` now (no code is issued for it), so
    statuses tell the truth; every later run writes the same bytes.
    """
    status, method = ("existing", "footprint") if earlier else ("new", "new")
    for r in rows:
        if r == anchor:
            note = "; year built not known (0000)" if not years[r] else ""
            what = "coded by an earlier run of this registry" if earlier else "new building"
            decisions[r] = _Decision(status, code, method, f"{what}{note}")
        else:
            decisions[r] = _Decision(status, code, method,
                                     f"same building as row {reg.first_row + anchor}")


def _lock_townships(conn: Connection, townships: list[str]) -> None:
    """PostGIS: one transaction-scoped advisory lock per township, in sorted order, so runs
    creating buildings in the same township take turns. SpatiaLite: take the file's write
    lock now (a no-op write), so the look below sees every committed building."""
    Store.of(conn.engine).dialect.lock_keys(conn, [f"twin:building:{t}" for t in townships])


def _stored_meanwhile(conn: Connection, heads: list[int], geoms: np.ndarray, snapshot: int,
                      ours: set[str]) -> dict[int, _Decision]:
    """Decisions for heads that overlap a building stored by another run since `snapshot`.

    Counting first keeps the usual case cheap: when every building stored since the
    snapshot is one of ours, nobody else has been writing and there is nothing to look at.
    """
    b = models.Building.__table__
    since = conn.execute(select(func.count()).select_from(b).where(b.c.id > snapshot)).scalar()
    if not since or since == len(ours):
        return {}
    others = [i for i, code in conn.execute(select(b.c.id, b.c.code).where(b.c.id > snapshot))
              if code not in ours]
    rows: list[Any] = []
    for start in range(0, len(others), 5000):
        rows += conn.execute(select(b.c.code, func.ST_AsBinary(b.c.geom)).where(
            b.c.id.in_(others[start : start + 5000]), b.c.status == "active")).all()
    if not rows:
        return {}
    index = BuildingIndex.of([r[0] for r in rows], shapely.from_wkb([bytes(r[1]) for r in rows]),
                             [None] * len(rows))
    found = match_geometries(index, geoms[np.asarray(heads, dtype=np.int64)]).hits
    out: dict[int, _Decision] = {}
    for h, hits in zip(heads, found, strict=True):
        if hits:
            d = _decide(h, 6, hits, [], False)
            if d.status == "existing":
                d.reason += " (stored by another run while this one ran)"
            out[h] = d
    return out


BUILDING_COLUMNS = ("code", "geom", "status", "version", "year_built", "township_code",
                    "community_code", "grid_code", "beidou_code", "name", "floors", "height",
                    "use")


def store_buildings(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert new building rows in the caller's transaction, through the store's fastest
    bulk path (a binary COPY on PostGIS: a million buildings must not go value by value)."""
    if not rows:
        return
    Store.of(conn.engine).dialect.write_typed_rows(
        conn, models.Building.__table__, BUILDING_COLUMNS,  # type: ignore[arg-type]
        [(row["code"], row["geom"], "active", 1, row["year_built"], row["township_code"],
          row["community_code"], row["grid_code"], row["beidou_code"], row.get("name"),
          row.get("floors"), row.get("height"), row.get("use")) for row in rows])


def _building_row(i: int, code: str, geoms: np.ndarray, years: np.ndarray,
                  places: dict[str, np.ndarray], k: int, optional: dict[str, np.ndarray]
                  ) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": code, "geom": geoms[i], "status": "active",
        "year_built": int(years[i]) or None,
        "township_code": places["township_code"][k],
        "community_code": places["community_code"][k],
        "grid_code": places["grid_code"][k], "beidou_code": places["beidou_code"][k],
    }
    for key, cells in optional.items():  # checked by _check_optional before
        row[key] = _cell(key, cells[i])
    return row
