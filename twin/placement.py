"""落图: put objects on the one map — township, community and grid by geometry, and a
BeiDou grid location code.

`PlacementIndex` holds the polygons of townships, communities (村/社区) and management
grids in shapely 2 STRtrees; `assign()` places a whole array of geometries at once: each
geometry's representative point (inside it, even for L-shaped footprints) is joined to the
polygons in one vectorised tree query per layer. A point on a shared edge belongs to the
polygon with the smallest code, so the answer never depends on row order.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, func, select

from twin import models
from twin.codes import beidou
from twin.layers import PLACE_COLUMNS

__all__ = ["PLACE_COLUMNS", "Misplaced", "PlacementIndex", "PolygonLayer"]

DEFAULT_BEIDOU_LEVEL = 8  # 1/32″ ≈ 1 m cells: finer than any footprint's point
TOUCH_DEGREES = 1e-7  # about 1 cm: what a reprojection round trip may move a vertex


@dataclass(frozen=True)
class Misplaced:
    """A place a writer gave that the geometry contradicts."""

    field: str
    value: str
    found: str

    @property
    def reason(self) -> str:
        """What to tell the writer."""
        return (f"{self.field} {self.value} does not touch the geometry, which lies in "
                f"{self.found}; leave {self.field} out and the twin places it")


@dataclass(frozen=True)
class PolygonLayer:
    """Codes and polygons of one layer, with their STRtree."""

    codes: np.ndarray
    polygons: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def of(cls, codes: list[str], polygons: list[object]) -> PolygonLayer:
        """A layer from parallel lists (polygons in CGCS2000 lon/lat)."""
        polys = np.asarray(polygons, dtype=object)
        return cls(np.asarray(codes, dtype=object), polys, shapely.STRtree(polys))

    def polygon(self, code: str) -> Any:
        """The polygon of `code`, or None."""
        at = np.flatnonzero(self.codes == code)
        return self.polygons[at[0]] if len(at) else None

    def locate(self, points: np.ndarray) -> np.ndarray:
        """Code of the polygon each point lies in (None where none does)."""
        out = np.full(len(points), None, dtype=object)
        if len(self.codes) == 0 or len(points) == 0:
            return out
        valid = ~shapely.is_missing(points)
        idx = np.flatnonzero(valid)
        src, hit = self.tree.query(points[idx], predicate="intersects")
        if len(src) == 0:
            return out
        codes = self.codes[hit].astype(str)
        order = np.lexsort((codes, src))  # per point, smallest code first
        src, codes = src[order], codes[order]
        first = np.r_[True, src[1:] != src[:-1]]
        out[idx[src[first]]] = codes[first]
        return out


@dataclass(frozen=True)
class PlacementIndex:
    """Townships, communities and grids of the twin, ready to place geometries."""

    townships: PolygonLayer
    communities: PolygonLayer
    grids: PolygonLayer

    # Areas and grids change seldom and never through the API; one read serves a while.
    KEEP_SECONDS: ClassVar[float] = 300.0
    _kept: ClassVar[dict[str, tuple[float, PlacementIndex]]] = {}
    _kept_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def kept(cls, engine: Engine) -> PlacementIndex:
        """The store's index, read again when older than KEEP_SECONDS (single edits)."""
        key = str(engine.url)
        with cls._kept_lock:
            held = cls._kept.get(key)
            if held is None or time.monotonic() - held[0] > cls.KEEP_SECONDS:
                held = cls._kept[key] = (time.monotonic(), cls.from_store(engine))
            return held[1]

    def place(self, geom: object) -> dict[str, str | None]:
        """township_code, community_code, grid_code and beidou_code of one geometry."""
        row = self.assign([geom]).iloc[0]
        return {k: (None if v is None or v != v else str(v)) for k, v in row.items()}

    def reconcile(self, found: dict[str, Any], geom: Any, given: dict[str, Any],
                  columns: Iterable[str]) -> tuple[dict[str, str], list[Misplaced]]:
        """The place to store for `columns`, and the given values the map disproves.

        The found place fills a value left out. A given area that differs but still
        touches the geometry (a footprint across a boundary, a point on an edge moved a
        nanodegree by reprojection) stands; one that does not is Misplaced. Outside every
        area of the twin the given value stands. The BeiDou code is always the geometry's.
        """
        layers = {"township_code": self.townships, "community_code": self.communities,
                  "grid_code": self.grids}
        values: dict[str, str] = {}
        wrong: list[Misplaced] = []
        for name in columns:
            place, wanted = found.get(name), given.get(name)
            if place is None or place != place:  # NaN: nothing found
                continue
            if wanted is None or str(wanted) == place or name not in layers:
                values[name] = str(place)
                continue
            polygon = layers[name].polygon(str(wanted))
            if polygon is not None and polygon.distance(geom) <= TOUCH_DEGREES:
                values[name] = str(wanted)
            else:
                wrong.append(Misplaced(name, str(wanted), str(place)))
        return values, wrong

    @classmethod
    def from_store(cls, engine: Engine) -> PlacementIndex:
        """Read every township, community and grid polygon from the store."""
        area = models.AdminArea.__table__
        grid = models.Grid.__table__
        with engine.connect() as conn:
            areas = conn.execute(
                select(area.c.code, area.c.level, func.ST_AsBinary(area.c.geom))
                .where(area.c.level.in_(("township", "village")), area.c.geom.is_not(None))
                .order_by(area.c.code)
            ).all()
            grids = list(conn.execute(
                select(grid.c.code, func.ST_AsBinary(grid.c.geom)).order_by(grid.c.code)
            ).all())

        def layer(rows: list[Any]) -> PolygonLayer:
            geoms = shapely.from_wkb([bytes(r[-1]) for r in rows]) if rows else []
            return PolygonLayer.of([r[0] for r in rows], list(geoms))

        return cls(
            townships=layer([r for r in areas if r[1] == "township"]),
            communities=layer([r for r in areas if r[1] == "village"]),
            grids=layer(grids),
        )

    def assign(self, geoms: object, *, beidou_level: int = DEFAULT_BEIDOU_LEVEL) -> pd.DataFrame:
        """township_code, community_code, grid_code and beidou_code for each geometry.

        Geometries are CGCS2000 lon/lat; missing or empty ones get empty places.
        """
        geoms = np.asarray(geoms, dtype=object)
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        points = np.full(len(geoms), None, dtype=object)
        if (~missing).any():
            points[~missing] = shapely.point_on_surface(geoms[~missing])
        community = self.communities.locate(points)
        township = self.townships.locate(points)
        # A community names its township; trust the finer polygon where both exist.
        from_community = np.array(
            [c[:9] + "000" if c is not None else None for c in community], dtype=object
        )
        township = np.where(from_community != None, from_community, township)  # noqa: E711
        codes = np.full(len(geoms), None, dtype=object)
        placed = ~missing
        if placed.any():
            codes[placed] = beidou.encode_many(
                shapely.get_x(points[placed]), shapely.get_y(points[placed]), beidou_level
            )
        return pd.DataFrame({
            "township_code": township,
            "community_code": community,
            "grid_code": self.grids.locate(points),
            "beidou_code": codes,
        })


# 3D: a house's cell in height (GB/T 39409 3D codes) ---------------------------------------

STOREY_METRES = 3.0  # a storey's height where the building gives no height and floor count
_FLOOR = re.compile(r"^\s*(负|地下|-|B)?\s*(\d+|[一二三四五六七八九十]+)\s*(层|楼|F)?\s*$",
                    re.IGNORECASE)
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def floor_number(floor: str | None) -> int | None:
    """The storey a house's floor names: 12, 12层, 12F, 十二层 → 12; B1, 负一层, -1 → −1;
    None when the text names no storey (a mezzanine, a roof, nothing)."""
    found = _FLOOR.match(floor or "")
    if found is None:
        return None
    below, number = found.group(1), found.group(2)
    if number.isdigit():
        n = int(number)
    else:  # 一 … 九十九 written in characters
        tens, _, ones = number.rpartition("十")
        n = (_DIGITS.get(tens, 1) if "十" in number else 0) * 10 + _DIGITS.get(ones, 0)
    if n == 0:
        return None
    return -n if below else n


def floor_elevation(floor: str | None, floors: int | None, height: float | None) -> float | None:
    """The height (metres above the ground) of the middle of a house's storey: the
    building's height shared among its floors, else STOREY_METRES a storey. The twin holds
    no terrain, so heights count from the ground, not from the ellipsoid GB/T 39409 uses."""
    n = floor_number(floor)
    if n is None:
        return None
    storey = height / floors if height and floors and height > 0 and floors > 0 else STOREY_METRES
    return (n - 1 + 0.5) * storey if n > 0 else (n + 0.5) * storey


def house_code_3d(plane: str | None, floor: str | None, floors: int | None,
                  height: float | None) -> str | None:
    """The 3D BeiDou grid location code of a house: the 2D code of its point (`plane`)
    lifted to its storey's elevation; None when the point or the storey is not known."""
    elevation = floor_elevation(floor, floors, height)
    if plane is None or elevation is None:
        return None
    return beidou.with_height(plane, elevation)
