"""Reverse geocoding: a point → the nearest door or building address, its areas and distance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely import STRtree

from addressing.errors import AddressInputError
from addressing.index import AddressIndex
from twin.crs import display_crs_name, from_display, to_display
from twin.divisions import load_divisions

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid; distances in metres
M_PER_DEG_LAT = 110_574.0
DEFAULT_RADIUS_M = 500.0
MAX_RADIUS_M = 50_000.0


@dataclass
class NearbyAddress:
    """One address near the point asked about."""

    code: str
    level: str
    full_text: str
    distance_m: float
    lon: float
    lat: float
    admin: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"code": self.code, "level": self.level, "full_text": self.full_text,
                "distance_m": self.distance_m, "lon": self.lon, "lat": self.lat,
                "admin": self.admin}


class ReverseGeocoder:
    """Nearest door/building addresses by an STRtree over a local metric plane."""

    def __init__(self, index: AddressIndex, levels: tuple[str, ...] = ("door", "building")):
        self.index = index
        nodes = index.nodes_at(*levels)
        nodes = nodes[~np.isnan(index.lon[nodes])]
        self.nodes = nodes
        lat0 = float(np.mean(index.lat[nodes])) if len(nodes) else 0.0
        self._kx = M_PER_DEG_LAT * math.cos(math.radians(lat0))
        self._tree = STRtree(shapely.points(self._plane(index.lon[nodes], index.lat[nodes])))
        self._divisions = load_divisions()

    def _plane(self, lon: Any, lat: Any) -> np.ndarray:
        return np.column_stack([np.asarray(lon) * self._kx, np.asarray(lat) * M_PER_DEG_LAT])

    def nearest(
        self, lon: float, lat: float, *, crs: str | None = None,
        radius_m: float = DEFAULT_RADIUS_M, limit: int = 1,
    ) -> list[NearbyAddress]:
        """Up to `limit` door/building addresses within `radius_m` of the point, nearest first."""
        crs = display_crs_name(crs)
        _check_point(lon, lat)
        if not 0 < radius_m <= MAX_RADIUS_M:
            raise AddressInputError(f"radius must be in (0, {MAX_RADIUS_M:.0f}] metres",
                                    field="radius", value=radius_m)
        if not 1 <= limit <= 50:
            raise AddressInputError("limit must be 1–50", field="limit", value=limit)
        if not len(self.nodes):
            return []
        x, y = from_display(lon, lat, crs)
        here = shapely.points(self._plane([x], [y]))[0]
        # The plane is a local approximation, so take a margin and rank by true distance.
        hits = self._tree.query(shapely.buffer(here, radius_m * 1.02 + 1))
        if len(hits) == 0:
            return []
        nodes = self.nodes[hits]
        lons, lats = self.index.lon[nodes], self.index.lat[nodes]
        _, _, dist = GEOD.inv(np.full(len(nodes), x), np.full(len(nodes), y), lons, lats)
        order = np.argsort(dist, kind="stable")
        out = []
        for i in order[:limit]:
            if dist[i] > radius_m:
                break
            out.append(self._describe(int(nodes[i]), float(dist[i]), crs))
        return out

    def _describe(self, node: int, distance: float, crs: str) -> NearbyAddress:
        index = self.index
        lon, lat = to_display(float(index.lon[node]), float(index.lat[node]), crs)
        chain = [{"code": d.code, "name": d.name, "level": str(d.level)}
                 for d in self._divisions.chain(index.admin(node).finest)]
        return NearbyAddress(index.code(node), index.level_of(node), index.full_text(node),
                             round(distance, 2), round(lon, 7), round(lat, 7), chain)


def _check_point(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise AddressInputError("lon must be a longitude in [-180, 180]", field="lon", value=lon)
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise AddressInputError("lat must be a latitude in [-90, 90]", field="lat", value=lat)
