"""Coordinate reference systems the twin speaks: CGCS2000, WGS84, Web Mercator, GK zones.

Geometry is stored in CGCS2000 (EPSG:4490) with longitude first. A CRS named by its
EPSG URI keeps the EPSG axis order on the wire: EPSG:4490 and EPSG:4326 are latitude
first, the CGCS2000 3-degree Gauss-Krüger zones (EPSG:4534–4554) are northing first,
EPSG:3857 and OGC CRS84 are easting/longitude first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

from twin.errors import InvalidInput
from twin.models import STORAGE_SRID

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
GK_ZONES = range(4534, 4555)  # CGCS2000 / 3-degree Gauss-Kruger CM 75E … CM 135E
SUPPORTED_EPSG = (STORAGE_SRID, 4326, 3857, *GK_ZONES)

_EPSG_FORMS = (
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$", re.IGNORECASE),
    re.compile(r"^\[?EPSG:(\d+)\]?$", re.IGNORECASE),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.IGNORECASE),
)
_CRS84_FORMS = (
    re.compile(r"^https?://www\.opengis\.net/def/crs/OGC/(1\.3|0)/CRS84$", re.IGNORECASE),
    re.compile(r"^\[?OGC:CRS84\]?$", re.IGNORECASE),
    re.compile(r"^urn:ogc:def:crs:OGC:[\d.]*:CRS84$", re.IGNORECASE),
)


@dataclass(frozen=True)
class CrsRef:
    """A CRS a client may name: its URI, EPSG code (None for CRS84) and axis order."""

    uri: str
    epsg: int | None
    northing_first: bool

    @property
    def is_storage_order(self) -> bool:
        """True when coordinates are exactly the stored CGCS2000 lon/lat (no work needed)."""
        return self.epsg is None or (self.epsg == STORAGE_SRID and not self.northing_first)

    @property
    def is_geographic(self) -> bool:
        """True for longitude/latitude systems."""
        return self.epsg in (None, STORAGE_SRID, 4326)


def supported_crs_uris() -> list[str]:
    """URIs of every CRS the service can serve, CRS84 first."""
    return [CRS84_URI, *(EPSG_URI.format(code=code) for code in SUPPORTED_EPSG)]


@lru_cache(maxsize=64)
def parse_crs(text: str, field: str = "crs") -> CrsRef:
    """The CRS named by `text` (OGC URI, `EPSG:n`, safe CURIE or URN), or InvalidInput."""
    value = text.strip()
    if any(form.match(value) for form in _CRS84_FORMS):
        return CrsRef(CRS84_URI, None, False)
    for form in _EPSG_FORMS:
        match = form.match(value)
        if match:
            code = int(match.group(1))
            if code not in SUPPORTED_EPSG:
                break
            return CrsRef(EPSG_URI.format(code=code), code, _northing_first(code))
    raise InvalidInput(
        f"unsupported CRS {text!r}; use {CRS84_URI} or "
        f"http://www.opengis.net/def/crs/EPSG/0/<n> with n in 4490, 4326, 3857, 4534–4554",
        field=field,
        value=text,
    )


@lru_cache(maxsize=64)
def _northing_first(code: int) -> bool:
    return CRS.from_epsg(code).axis_info[0].direction in ("north", "south")


@lru_cache(maxsize=64)
def _transformer(source: int | None, target: int | None) -> Transformer:
    """Cached lon/lat-ordered (always_xy) transformer; None means CRS84."""
    return Transformer.from_crs(
        "OGC:CRS84" if source is None else source,
        "OGC:CRS84" if target is None else target,
        always_xy=True,
    )


def _same_datum_geographic(a: int | None, b: int | None) -> bool:
    # CGCS2000 and WGS84 agree to a few centimetres; pyproj's "ballpark" step between
    # them is the identity, so skip it rather than pay for a no-op.
    return {a, b} <= {None, STORAGE_SRID, 4326}


def _coords_from_storage(target: CrsRef):  # noqa: ANN202 - a vectorised coordinate function
    def apply(xy: np.ndarray) -> np.ndarray:
        if not _same_datum_geographic(STORAGE_SRID, target.epsg):
            x, y = _transformer(STORAGE_SRID, target.epsg).transform(xy[:, 0], xy[:, 1])
            xy = np.column_stack([x, y])
        return xy[:, ::-1] if target.northing_first else xy

    return apply


def _coords_to_storage(source: CrsRef):  # noqa: ANN202
    def apply(xy: np.ndarray) -> np.ndarray:
        if source.northing_first:
            xy = xy[:, ::-1]
        if not _same_datum_geographic(source.epsg, STORAGE_SRID):
            x, y = _transformer(source.epsg, STORAGE_SRID).transform(xy[:, 0], xy[:, 1])
            xy = np.column_stack([x, y])
        return np.ascontiguousarray(xy)

    return apply


def from_storage(geoms: np.ndarray, target: CrsRef) -> np.ndarray:
    """Stored CGCS2000 lon/lat shapely geometries expressed in `target`, in its axis order."""
    if target.is_storage_order:
        return geoms
    return shapely.transform(geoms, _coords_from_storage(target))


def to_storage(geoms: np.ndarray, source: CrsRef) -> np.ndarray:
    """Geometries given in `source` (its axis order) as CGCS2000 lon/lat."""
    if source.is_storage_order:
        return geoms
    return shapely.transform(geoms, _coords_to_storage(source))


def bbox_to_storage(
    bbox: tuple[float, float, float, float], source: CrsRef
) -> tuple[float, float, float, float]:
    """A bounding box given in `source` (axis order of `source`) as a CGCS2000 lon/lat box.

    Edges are densified before transforming, so a projected box keeps all it covers.
    """
    a, b, c, d = bbox
    if source.northing_first:
        a, b, c, d = b, a, d, c
    if _same_datum_geographic(source.epsg, STORAGE_SRID):
        return (a, b, c, d)
    minx, miny, maxx, maxy = _transformer(source.epsg, STORAGE_SRID).transform_bounds(
        a, b, c, d, densify_pts=21
    )
    return (minx, miny, maxx, maxy)


def gk_zone_epsg(longitude: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (central meridian form) for a lon."""
    central = 3 * round(longitude / 3)
    if not 75 <= central <= 135:
        raise InvalidInput(
            f"longitude {longitude} lies outside China's GK zones (CM 75E–135E)",
            field="longitude",
            value=longitude,
        )
    return 4534 + (central - 75) // 3


# GCJ-02 ("Mars coordinates") and BD-09 are the obfuscated systems Chinese web maps
# (AMap/Tencent, Baidu) draw in. They are for putting twin features over those base maps
# only: nothing in the twin is ever stored in them.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_X_PI = np.pi * 3000.0 / 180.0


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _KRASOVSKY_EE * np.sin(rad) ** 2
    dlat = dlat * 180.0 / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * np.sqrt(magic))
                           * np.pi)
    dlon = dlon * 180.0 / (_KRASOVSKY_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def to_gcj02(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000/WGS84 lon/lat → GCJ-02 (for display on AMap/Tencent base maps only)."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def from_gcj02(lon: object, lat: object, iterations: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → CGCS2000/WGS84 lon/lat, by fixed-point iteration (well under a millimetre)."""
    g_lon, g_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(iterations):
        f_lon, f_lat = to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon - (f_lon - g_lon), w_lat - (f_lat - g_lat)
    return w_lon, w_lat


def to_bd09(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000/WGS84 lon/lat → BD-09 (for display on Baidu base maps only)."""
    x, y = to_gcj02(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def from_bd09(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → CGCS2000/WGS84 lon/lat (within a few centimetres)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return from_gcj02(z * np.cos(theta), z * np.sin(theta))


# -- display CRS names: what a geocoding client may ask its coordinates in ----------------------

DISPLAY_CRS_NAMES = {
    "cgcs2000": "CGCS2000", "epsg:4490": "CGCS2000", "4490": "CGCS2000",
    "wgs84": "WGS84", "epsg:4326": "WGS84", "4326": "WGS84", "crs84": "WGS84",
    "gcj02": "GCJ-02", "gcj-02": "GCJ-02", "bd09": "BD-09", "bd-09": "BD-09",
}


def display_crs_name(text: str | None) -> str:
    """The canonical name of a display CRS (CGCS2000 by default), or InvalidInput.

    CGCS2000 and WGS84 differ by centimetres at city scale (the EPSG transformation between
    EPSG:4490 and EPSG:4326 is a null transform), so both are the stored lon/lat.
    """
    if text is None or text == "":
        return "CGCS2000"
    key = text.strip().lower()
    if key.startswith("http"):
        key = key.rsplit("/", 1)[-1]  # an OGC CRS URI ends in the EPSG code or CRS84
    name = DISPLAY_CRS_NAMES.get(key) or DISPLAY_CRS_NAMES.get(f"epsg:{key}")
    if name is None:
        raise InvalidInput(
            f"unknown crs {text!r}; use CGCS2000 (EPSG:4490), WGS84 (EPSG:4326), GCJ-02 or BD-09",
            field="crs", value=text,
        )
    return name


def to_display(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A stored CGCS2000 point in the display CRS named by `display_crs_name`."""
    if crs in ("CGCS2000", "WGS84"):
        return lon, lat
    x, y = to_gcj02(lon, lat) if crs == "GCJ-02" else to_bd09(lon, lat)
    return float(x), float(y)


def from_display(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A point given in a display CRS, back in CGCS2000 (for reverse geocoding)."""
    if crs in ("CGCS2000", "WGS84"):
        return lon, lat
    x, y = from_gcj02(lon, lat) if crs == "GCJ-02" else from_bd09(lon, lat)
    return float(x), float(y)


def display_offsets(bbox: Sequence[float], crs: str, most: int = 48) -> dict[str, Any]:
    """How far the display CRS moves the ground, on a grid over a lon/lat box (a margin of
    one cell around it): for a browser to place stored coordinates on a GCJ-02 base map
    by bilinear interpolation (the shift bends by millimetres between nodes 0.01° apart)
    without a copy of the conversion. Offsets in degrees, rows from the south."""
    step = max(0.01, (bbox[2] - bbox[0]) / (most - 3), (bbox[3] - bbox[1]) / (most - 3))
    west, south = bbox[0] - step, bbox[1] - step
    cols = int(np.ceil((bbox[2] + step - west) / step)) + 1
    rows = int(np.ceil((bbox[3] + step - south) / step)) + 1
    lon, lat = np.meshgrid(west + step * np.arange(cols), south + step * np.arange(rows))
    x, y = {"GCJ-02": to_gcj02, "BD-09": to_bd09}.get(crs, lambda a, b: (a, b))(lon, lat)
    return {"crs": crs, "west": west, "south": south, "step": step, "cols": cols,
            "rows": rows, "dlon": np.round(x - lon, 9).ravel().tolist(),
            "dlat": np.round(y - lat, 9).ravel().tolist()}


# -- a file's CRS: any CRS pyproj knows, to CGCS2000 lon/lat ---------------------------------


@lru_cache(maxsize=32)
def _authority_transformer(target: str) -> Transformer:
    """CGCS2000 to the CRS `target` names, both in their authorities' axis order."""
    return Transformer.from_crs(CRS.from_epsg(STORAGE_SRID), CRS.from_user_input(target))


def from_storage_to(geoms: shapely.Geometry, target: str) -> shapely.Geometry:
    """Stored CGCS2000 lon/lat geometries in any CRS `target` names (a WKT, EPSG:…), in
    its authority's axis order (for callers that name a CRS by WKT, such as pygeoapi)."""
    transformer = _authority_transformer(target)

    def apply(xy: np.ndarray) -> np.ndarray:
        # Stored x is longitude; EPSG:4490's authority order wants latitude first.
        return np.column_stack(transformer.transform(xy[:, 1], xy[:, 0]))

    return shapely.transform(geoms, apply)


def check_crs(text: str, field: str = "crs") -> CRS:
    """The CRS `text` names (EPSG:4547, a WKT, a PROJ string …), or InvalidInput."""
    try:
        return CRS.from_user_input(text)
    except Exception as exc:  # pyproj raises its own CRSError for every unreadable name
        reason = str(exc).split(": (", 1)[0]
        raise InvalidInput(f"unknown CRS {text!r}: {reason}", field=field, value=text) from None


@lru_cache(maxsize=32)
def file_transformer(crs: str) -> Transformer | None:
    """x-first transform from a file's CRS to CGCS2000 lon/lat, None when it already is."""
    source = check_crs(crs)
    if source.equals(CRS.from_epsg(STORAGE_SRID), ignore_axis_order=True):
        return None
    return Transformer.from_crs(source, STORAGE_SRID, always_xy=True)


def file_to_storage(geoms: np.ndarray, crs: str) -> np.ndarray:
    """Geometries as files give them (x first, in `crs`) as CGCS2000 lon/lat, all at once."""
    transformer = file_transformer(crs)
    present = ~shapely.is_missing(geoms)
    if transformer is None or not present.any():
        return geoms
    out = geoms.copy()
    out[present] = shapely.transform(
        geoms[present],
        lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])),
    )
    return out
