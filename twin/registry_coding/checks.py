"""Checks on a registry's rows before any is coded: geometry, year, division codes, input
codes. Each bad row is noted on the file (row, field, value, reason) and left uncoded."""

from __future__ import annotations

from datetime import date

import numpy as np
import shapely
from sqlalchemy import Engine

from twin.divisions import Level, load_divisions
from twin.layers import FIRST_YEAR_BUILT, year_built_problem
from twin.placement import PlacementIndex
from twin.registry_coding.source import RegistryFile


def read_year(text: object) -> tuple[int | None, str | None]:
    """(year or 0 for unknown, problem) from a cell."""
    blank = text is None or (isinstance(text, float) and np.isnan(text))
    s = "" if blank else str(text).strip()
    if s.endswith(".0"):
        s = s[:-2]
    if not s:
        return 0, None
    if not (s.isdigit() and len(s) == 4):
        return None, f"year built {s!r} is not a year between {FIRST_YEAR_BUILT} and " \
            f"{date.today().year}"
    problem = year_built_problem(int(s))
    return (None, problem) if problem else (int(s), None)


def check_rows(reg: RegistryFile) -> np.ndarray:
    """Note bad rows; return a mask of rows whose geometry (if any) can be used."""
    geoms = reg.geoms
    present = ~shapely.is_missing(geoms)
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    for i in np.flatnonzero(present & ~np.isin(types, (0, 3, 6))):
        reg.problem(int(i), "geometry", shapely.get_type_id(geoms[i]),
                    "geometry must be a polygon, multipolygon or point")
    poly = np.flatnonzero(np.isin(types, (3, 6)))
    if len(poly):
        valid = shapely.is_valid(geoms[poly])
        for i in poly[~valid]:
            reg.problem(int(i), "geometry", None,
                        f"invalid footprint: {shapely.is_valid_reason(geoms[i])}")
    usable = np.flatnonzero(np.isin(types, (0, 3, 6)))
    if len(usable):
        b = shapely.bounds(geoms[usable])
        bad = ~((np.abs(b[:, [0, 2]]) <= 180).all(axis=1) & (np.abs(b[:, [1, 3]]) <= 90).all(
            axis=1))
        for i in usable[bad]:
            reg.problem(int(i), "geometry", None,
                        f"coordinates are not lon/lat after reading as {reg.crs}; wrong CRS?")
    return np.array([i not in reg.problems for i in range(len(geoms))]) & present


def cell_text(value: object) -> str:
    """A cell as text: "" for blank, NaN or None; a GIS file's 440305001.0 as 440305001."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def check_divisions(engine: Engine, reg: RegistryFile) -> np.ndarray:
    """Rows whose given township/community codes hold: known to the NBS table at that level,
    one inside the other, and touching the row's geometry (as the API checks a write)."""
    given = [(name, column) for name, column in (("township_code", reg.township_column),
                                                 ("community_code", reg.community_column))
             if column is not None]
    ok = np.ones(len(reg.frame), dtype=bool)
    if not given:
        return ok
    table = load_divisions()
    levels = {"township_code": Level.township, "community_code": Level.village}
    values = {name: [cell_text(v) for v in reg.frame[column].to_numpy(dtype=object)]
              for name, column in given}
    for name, column in given:
        for i, code in enumerate(values[name]):
            division = table.by_code.get(code) if len(code) == 12 and code.isdigit() else None
            if code and (division is None or division.level != levels[name]):
                reg.problem(i, column, code, f"not a {levels[name].value} code of the NBS "
                            "2023 division table (12 digits)")
                ok[i] = False
    if "township_code" in values and "community_code" in values:
        for i, (town, community) in enumerate(zip(values["township_code"],
                                                  values["community_code"], strict=True)):
            if ok[i] and town and community and not community.startswith(town[:9]):
                reg.problem(i, reg.community_column, community,
                            f"community {community} is not in township {town}")
                ok[i] = False
    rows = [i for i in range(len(ok)) if ok[i] and i not in reg.problems
            and any(values[name][i] for name, _ in given)
            and not shapely.is_missing(reg.geoms[i])]
    if rows:
        index = PlacementIndex.from_store(engine)
        places = index.assign(reg.geoms[rows]).to_dict("records")
        for i, found in zip(rows, places, strict=True):
            wanted = {name: values[name][i] or None for name, _ in given}
            _, wrong = index.reconcile(found, reg.geoms[i], wanted, list(wanted))
            for w in wrong[:1]:
                reg.problem(i, dict(given)[w.field], w.value, w.reason)
                ok[i] = False
    return ok
