"""Matching registry rows to the buildings the twin already has: footprint, point, address.

All matching is vectorised: one STRtree query for every footprint against the stored
footprints, one for the points, one pass of address keys through a dict. The overlap of
two footprints is the area of their intersection over the smaller one's area, so a
slightly shifted or re-digitised footprint still matches, and a footprint drawn over two
buildings overlaps both fully — a conflict, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from sqlalchemy import Engine, String, func, select

from twin import models
from twin.divisions import Level, load_divisions
from twin.store import Store

SAME_BUILDING = 0.5  # overlap at or above which two footprints are one building
SLIVER = 0.05  # overlap below which a touch is digitising noise, not a clash

_SPACE = re.compile(r"[\s,，、·\-—_()（）\[\]【】\"'“”]+")
_SYNONYMS = (("号楼", "栋"), ("幢", "栋"), ("座", "栋"), ("單元", "单元"), ("#", "栋"))


@lru_cache(maxsize=1)
def _admin_names() -> tuple[frozenset[str], tuple[int, ...]]:
    """Names (full and short) of provinces, cities and counties, and their lengths,
    longest first.

    Township and community names stay in the key: road names and door numbers repeat
    across townships, so they are what tells two buildings apart.
    """
    names: set[str] = set()
    for d in load_divisions():
        if d.level not in (Level.province, Level.city, Level.county):
            continue
        names.add(d.name)
        for suffix in ("省", "市", "特别行政区", "自治区"):
            if d.name.endswith(suffix) and len(d.name) > len(suffix) + 1:
                names.add(d.name[: -len(suffix)])
    names = {n for n in names if len(n) >= 2}
    return frozenset(names), tuple(sorted({len(n) for n in names}, reverse=True))


@lru_cache(maxsize=1)
def _admin_starts() -> frozenset[str]:
    """The first two characters of every name `_admin_names` holds: a quick reject."""
    return frozenset(n[:2] for n in _admin_names()[0])


def address_key(text: object) -> str:
    """A comparison key for a building address: width, spaces and 幢/座/号楼 folded, and
    the province, city and county names in front (广东省深圳市南山区) dropped."""
    if not isinstance(text, str) or not text:
        return ""  # blank, None, or a GIS file's NaN
    key = _SPACE.sub("", unicodedata.normalize("NFKC", text)).upper()
    for old, new in _SYNONYMS:
        key = key.replace(old, new)
    names, lengths = _admin_names()
    starts = _admin_starts()
    stripped = True
    while stripped and key[:2] in starts:
        stripped = False
        for n in lengths:
            if n < len(key) and key[:n] in names:
                key, stripped = key[n:], True
                break
    return key


@dataclass(frozen=True)
class BuildingIndex:
    """The twin's buildings: codes, footprints in an STRtree, and address keys."""

    codes: np.ndarray
    footprints: np.ndarray
    tree: shapely.STRtree
    by_address: dict[str, list[int]]

    @classmethod
    def from_store(cls, engine: Engine, *, exclude: set[str] = frozenset()) -> BuildingIndex:  # type: ignore[assignment]
        """Every active building, except the codes in `exclude`."""
        b, a = models.Building.__table__, models.Address.__table__
        query = (
            select(b.c.code, func.ST_AsBinary(b.c.geom), a.c.full_text)
            .select_from(b.outerjoin(a, a.c.code == b.c.address_code))
            .where(b.c.status == "active")
            .order_by(b.c.code)
        )
        left_out = (Store.of(engine).dialect.leave_out(b.c.code, sorted(exclude), String())
                    if exclude else None)
        if left_out is not None:
            # Leave them in the database: a rerun need not fetch the buildings it made.
            query = query.where(left_out)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        rows = [r for r in rows if r[0] not in exclude]
        return cls.of([r[0] for r in rows],
                      shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else [],
                      [r[2] for r in rows])

    @classmethod
    def of(cls, codes: list[str], footprints: object, addresses: list[str | None]
           ) -> BuildingIndex:
        """An index over parallel lists."""
        fps = np.asarray(footprints, dtype=object)
        by_address: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(addresses):
            key = address_key(text)
            if key:
                by_address[key].append(i)
        return cls(np.asarray(codes, dtype=object), fps, shapely.STRtree(fps), dict(by_address))


def overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area of a ∩ b over the smaller area, pairwise."""
    inter = shapely.area(shapely.intersection(a, b))
    smaller = np.minimum(shapely.area(a), shapely.area(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(smaller > 0, inter / smaller, 0.0)


@dataclass
class FootprintMatches:
    """Per input row: the buildings its geometry points at, best first, with overlaps."""

    hits: list[list[tuple[str, float]]]


def match_geometries(index: BuildingIndex, geoms: np.ndarray) -> FootprintMatches:
    """Stored buildings each polygon overlaps (≥ SLIVER) or each point falls in."""
    hits: list[list[tuple[str, float]]] = [[] for _ in range(len(geoms))]
    if len(index.codes) == 0:
        return FootprintMatches(hits)
    present = np.flatnonzero(~shapely.is_missing(geoms))
    if len(present) == 0:
        return FootprintMatches(hits)
    g = geoms[present]
    is_point = shapely.get_type_id(g) == 0
    src, dst = index.tree.query(g, predicate="intersects")
    if len(src) == 0:
        return FootprintMatches(hits)
    scores = np.ones(len(src))
    poly = ~is_point[src]
    if poly.any():
        scores[poly] = overlaps(g[src[poly]], index.footprints[dst[poly]])
    keep = scores >= SLIVER
    order = np.lexsort((index.codes[dst].astype(str), -scores))
    for k in order:
        if keep[k]:
            hits[present[src[k]]].append((index.codes[dst[k]], float(scores[k])))
    return FootprintMatches(hits)


def group_same_footprints(geoms: np.ndarray, rows: np.ndarray) -> dict[int, int]:
    """Among the given rows' footprints, row → first row of the same building (overlap ≥
    SAME_BUILDING, transitively); rows standing alone map to themselves."""
    parent = {int(r): int(r) for r in rows}
    if len(rows) < 2:
        return parent
    g = geoms[rows]
    src, dst = shapely.STRtree(g).query(g, predicate="intersects")
    pairs = src < dst
    src, dst = src[pairs], dst[pairs]
    if len(src):
        same = overlaps(g[src], g[dst]) >= SAME_BUILDING
        src, dst = src[same], dst[same]

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for s, d in zip(rows[src], rows[dst], strict=True):
        a, b = root(int(s)), root(int(d))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {r: root(r) for r in parent}
